"""Write the Brewtiful Coffee Co. sample corpus in data/samples/ (deterministic: same seed, same bytes).

The hand-written material (customer questions, in-voice answers, chats, FAQ, QA drafts, order look-ups) lives in the
text blocks below; the code adds the people, dates and the documented dirt (duplicates, HTML, signatures, PII,
mojibake...) with one seeded random generator. The Markdown files in data/samples/ are written by hand, not here.

    python scripts/make_samples.py                 # rewrite data/samples/
    python scripts/make_samples.py --out /tmp/x    # write elsewhere (the tests compare the two byte for byte)
"""

from __future__ import annotations

import argparse
import csv
import html
import json
import random
import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

SEED = 20261125
GREETING = "Hey there!"
SIGN_OFF = "Stay grounded! ☕"
TICKET_COLUMNS = [
    "ticket_id", "created_at", "channel", "customer_name", "customer_email", "subject", "question", "agent_name",
    "agent_reply",
]
REVIEW_COLUMNS = ["ticket_id", "question", "draft_reply", "approved_reply"]
LOOKUP_COLUMNS = ["question", "tool_name", "tool_arguments", "tool_result", "final_answer"]
MALFORMED_CHAT_LINE = '{"conversation_id": "C-2011", "turn": 2, "speaker": "bot", "text": "Thanks for waiting, you\'re ne'

# ---------------------------------------------------------------------------------------------------------------
# Hand-written ticket questions and in-voice answer bodies ("## topic", then Q:/A: and, for 40 of them, the
# off-voice draft the QA team rewrote, D:). The greeting and the sign-off are added by compose_reply().
# ---------------------------------------------------------------------------------------------------------------
TICKET_QA = r"""
## plans
Q: What's the difference between the Starter, Daily and Barista plans?
A: Starter is one 340 g bag per delivery for $18, Daily is two bags for $32, and Barista is four bags for $58 plus 10% off all gear. Every plan ships free in the US, and you choose deliveries every 2, 4 or 6 weeks.
D: Starter = 1 bag $18, Daily = 2 bags $32, Barista = 4 bags $58. See website for details.

Q: I drink about two cups a day, which plan should I pick?
A: Two cups a day works out to roughly one 340 g bag every two weeks, so Starter on a 2-week schedule or Daily on a 4-week schedule both fit nicely. You can switch plans anytime in Account > Subscriptions if you find yourself running low.

Q: How much coffee is in one bag?
A: Every bag holds 340 g (12 oz) of coffee, which makes about 25 to 30 cups depending on how strong you like it. That's a latte of good mornings!

Q: Can I upgrade from Starter to Daily mid-cycle?
A: Absolutely! Go to Account > Subscriptions > Change plan, and Daily applies from your next delivery as long as you switch at least 48 hours before the ship date.
D: Per our policy, plan changes must be made 48 hours before shipping. Do it in your account.

Q: does the barista plan include anything besides more coffee
A: Yes, the Barista plan brings four bags per delivery for $58 and takes 10% off every grinder, machine and accessory in the shop. The discount applies automatically at checkout while you're logged in.

Q: Can I mix different coffees in one delivery?
A: You sure can! On the Daily and Barista plans each bag can be a different coffee, so just pick them under Account > Subscriptions > Edit coffees.

Q: Is there a contract or a minimum number of deliveries?
A: No contract and no minimum at all. You can pause, skip or cancel whenever you like, with no fees.
D: There is no contract.

Q: Can I get deliveries every week?
A: Our shortest schedule is every 2 weeks, and you can also choose every 4 or 6 weeks. If you need more coffee than that, the Daily or Barista plan adds more bags per delivery.

Q: How do I change how often my coffee arrives?
A: Head to Account > Subscriptions > Delivery frequency and choose every 2, 4 or 6 weeks. Changes made at least 48 hours before your next ship date apply to that delivery.

Q: I want to downgrade to the Starter plan, how?
A: Easy! Go to Account > Subscriptions > Change plan and pick Starter ($18 per delivery, one bag); it takes effect from your next delivery if you change it 48 hours before the ship date.

Q: can I have two subscriptions on one account? one for home, one for the office
A: Yes, you can run as many subscriptions as you like on one account, each with its own address, coffee and schedule. Just choose Account > Subscriptions > Add subscription.

Q: Is shipping included in the plan price?
A: It is, and that's brew-tiful news for your wallet! Every subscription delivery ships free within the US, whichever plan you're on.

## coffee
Q: When is my coffee roasted?
A: We roast every Monday and Thursday in Portland, Oregon, and your bag ships within 48 hours of roasting. The roast date is printed on every bag, so you always know how fresh it is.
D: Dear customer, coffee is roasted on Mondays and Thursdays. Regards.

Q: Where do I find the roast date?
A: The roast date is printed on the back of every bag, just above the valve. It's the day your beans came out of the roaster.

Q: How long does the coffee stay fresh?
A: Our coffee tastes best within 6 weeks of the roast date printed on the bag. Keep it sealed in its bag, away from heat and light, and it'll stay brew-tiful to the last scoop.
D: 6 weeks. Store it properly.

Q: Should I keep my beans in the fridge?
A: We'd skip the fridge, since moisture and fridge smells can sneak into the beans. A cool, dark cupboard and the resealable bag work best.

Q: What coffees do you have right now?
A: We currently roast House Blend (medium), Sunrise Ethiopia (light), Colombia Huila (medium), Dark Harbor Espresso (dark) and Night Owl Decaf (medium-dark). You can swap between them anytime in Account > Subscriptions > Edit coffees.

Q: Which of your coffees is best for espresso?
A: Dark Harbor Espresso is roasted espresso-ly for it, with chocolate and toasted-nut notes that hold up well in milk drinks. Colombia Huila also pulls a lovely, slightly brighter shot.

Q: I like light, fruity coffee. What do you recommend?
A: Sunrise Ethiopia will perk up your mornings: it's our lightest roast, with blueberry and jasmine notes. It shines in pour-over and drip.

Q: Can I get ground coffee instead of whole bean?
A: Of course! Choose whole bean or an espresso, drip or French press grind for each coffee under Account > Subscriptions > Edit coffees.

Q: what does house blend taste like
A: House Blend is a medium roast with milk chocolate, caramel and a little roasted almond. It's smooth enough to perk up every morning and works in any brewer.

Q: Are your beans organic?
A: Sunrise Ethiopia and Night Owl Decaf are certified organic, and our other coffees come from farms we've bought from directly for years. Each coffee's page lists its farm and certifications.

Q: My bag arrived puffed up like a balloon, is that normal?
A: Totally normal! Fresh coffee releases carbon dioxide after roasting, and the one-way valve lets it out slowly, so a puffy bag just means your beans are nice and fresh.
D: That is normal. It's gas from the coffee.

Q: The roast date on my bag is 9 days ago, isn't that old?
A: Not at all! Coffee is at its best from about 4 days to 6 weeks after roasting, so your bag is right in its sweet spot.

Q: Why does my coffee taste sour?
A: Sourness usually means the coffee is under-extracted, so try a finer grind or a slightly longer brew time. If it still tastes off, let us know and our Bean Happy Guarantee will replace or refund that bag.
D: Unfortunately you are probably grinding too coarse. You should have read the brew guide.

Q: Why does my coffee suddenly taste bitter?
A: Bitterness often comes from over-extraction, so try a slightly coarser grind or a shorter brew time. Water just off the boil, about 93 °C (200 °F), helps too.

Q: Do you sell single-origin coffees?
A: Yes! Sunrise Ethiopia, Colombia Huila and Night Owl Decaf are single-origin, while House Blend and Dark Harbor Espresso are blends.

Q: Will you bring back the Kenya coffee from last winter?
A: We've bean there, we miss it too! Seasonal coffees come and go with the harvest, so keep an eye on our newsletter, where we announce every new release first.

Q: Is the coffee roasted to order?
A: Yes, we roast on Mondays and Thursdays for the orders we have, and every bag ships within 48 hours of roasting.

Q: How many cups does one bag make?
A: One 340 g bag makes about 25 to 30 cups, depending on your recipe. A good starting point is 15 g of coffee for a 250 ml mug.

## decaf
Q: do you have decaf?
A: We do! Night Owl Decaf is decaffeinated with the chemical-free Swiss Water Process and is 99.9% caffeine-free. You can add it to any plan.
D: Yes we have decaf. It's called Night Owl.

Q: How is your decaf made? I want to avoid chemical solvents.
A: Night Owl Decaf uses the Swiss Water Process, which removes caffeine with only water, temperature and time, no chemical solvents. It's 99.9% caffeine-free.

Q: Is Night Owl completely caffeine free? I'm pregnant and being careful.
A: Night Owl Decaf is 99.9% caffeine-free, so a cup has only a trace of caffeine, typically 2 to 5 mg. Your doctor is the best person to say how much is right for you.

Q: Are your coffees gluten free?
A: Yes! We roast only coffee, with no flavorings, and there's no gluten, nuts or dairy anywhere in our roastery.

Q: I have a severe nut allergy. Is your coffee safe for me?
A: Our roastery handles only coffee, with no nuts, dairy, gluten or flavorings on site, so there's no cross-contact from our side. Tasting notes like "almond" describe flavor only, not ingredients.

Q: Do you add flavorings to the coffees that taste like hazelnut?
A: Never, our coffees are just roasted coffee beans. Notes like hazelnut or caramel describe what the beans naturally taste like.

Q: Can I get half decaf, half regular in my subscription?
A: Yes, on the Daily and Barista plans you can make any of your bags Night Owl Decaf. Just choose it under Account > Subscriptions > Edit coffees.

Q: What's the caffeine content of Dark Harbor compared to Sunrise?
A: Caffeine barely changes with roast level, so a cup of either has roughly 80 to 100 mg. Brew strength makes a much bigger difference.

Q: I'm allergic to sulfites, is your decaf ok?
A: Night Owl Decaf is decaffeinated with only water through the Swiss Water Process, and we add nothing to any of our coffees. For a specific allergy, your doctor can advise best.

## shipping
Q: How long does shipping take?
A: Standard US shipping takes 3 to 5 business days after your coffee ships, and Express takes 1 to 2 business days for $9.95. Your bag ships within 48 hours of roasting.
D: 3-5 business days standard, express is extra.

Q: How much is shipping for one-off orders?
A: One-off orders over $35 ship free within the US; below that, standard shipping is $5.95. Subscription deliveries always ship free.

Q: Which carrier do you use?
A: In the US we ship with UPS and USPS, and international orders go with DHL. Your shipping email shows which one is carrying your parcel, with a tracking link.

Q: Can I choose express shipping for my subscription?
A: You can! Express (1 to 2 business days) is $9.95 per delivery, and you can turn it on under Account > Subscriptions > Shipping.

Q: Do you ship to PO boxes?
A: Yes, we ship to PO boxes through USPS. Express isn't available for PO boxes, but standard shipping works perfectly.

Q: Do you deliver on weekends?
A: We don't ship on weekends, but USPS delivers on Saturdays in many areas. Most parcels arrive 3 to 5 business days after they ship.

Q: Can I pick a specific delivery day?
A: We can't promise an exact delivery day, but you can move your next ship date under Account > Subscriptions > Next delivery. Parcels usually arrive 3 to 5 business days after they ship.

Q: Do you ship to Alaska and Hawaii?
A: Yes, we ship to all 50 states! Parcels to Alaska and Hawaii take about 5 to 8 business days with standard shipping.

Q: Can the driver leave the package at my back door?
A: Sure thing! Add a delivery note under Account > Addresses, and the carrier will see it on your next parcel.

Q: My tracking hasn't updated in 3 days. Is it lost?
A: Tracking sometimes pauses while a parcel moves between hubs, so it's most likely still on its way. If there's no update in 5 business days, we'll send a replacement on us.
D: Tracking is handled by the carrier. Please be patient and calm down, it will arrive.

Q: The tracking says delivered but I don't have it.
A: I'm sorry it's not with you! Please check with neighbors and around your entrance, and if it hasn't turned up by tomorrow, reply here and we'll ship a replacement at no cost.
D: Our records show it was delivered. Please check with your neighbors before contacting us.

Q: When will my first box ship?
A: Your first box ships within 48 hours of our next roast day (we roast Mondays and Thursdays). You'll get an email with tracking as soon as it leaves our roastery.

Q: Do you use plastic in your packaging?
A: Our bags are compostable and our boxes are 100% recycled cardboard, with paper tape and no plastic fillers. The little valve on the bag goes in general waste.

Q: Do you ship to military APO addresses?
A: Yes, we ship to APO and FPO addresses with USPS. Delivery usually takes 2 to 4 weeks.

Q: Can you ship to a hotel?
A: Yes! Add the name on the reservation and your arrival date to the address line, so the front desk can hold the parcel for you.

Q: Why is my tracking showing a different city?
A: Parcels often pass through carrier hubs in other cities, so that's completely normal. It'll update again as it heads your way.

Q: Do you ship on holidays?
A: We don't ship on US public holidays, so a delivery due that day goes out the next business day. We'll email you if your schedule shifts.

## international
Q: Do you ship to Canada?
A: We do! Shipping to Canada is a flat $14.95 and takes 7 to 14 business days with DHL.

Q: Can I get a subscription in the UK?
A: Yes, subscriptions ship to the UK for a flat $14.95 per delivery, arriving in 7 to 14 business days with DHL. Import duties or taxes, if any, are collected by the carrier on delivery.

Q: Which countries do you ship to?
A: We ship to the US, Canada, the UK, all EU countries and Australia. International shipping is a flat $14.95 and takes 7 to 14 business days.
D: US, Canada, UK, EU, Australia.

Q: Will I have to pay customs fees in Germany?
A: Depending on your order value, local import taxes may apply, and DHL collects them on delivery. Our prices don't include them, and checkout shows a note when your order might be affected.

Q: Do you ship to Japan?
A: Not yet, sorry! Right now we ship to the US, Canada, the UK, the EU and Australia, and we'll announce new countries in our newsletter.

Q: Is international shipping free over a certain amount?
A: International shipping is a flat $14.95 on every order, whatever the size. Free shipping applies to US addresses only.

Q: My parcel to France is stuck in customs, what now?
A: Customs checks can add a few days, and DHL will contact you if they need anything. If it's still held after 7 days, let us know and we'll chase it with DHL for you.

Q: How fresh will the coffee be when it reaches Australia?
A: International parcels arrive in 7 to 14 business days, so your beans will be about 2 to 3 weeks past their roast date, well inside their 6-week best window.

Q: Can I ship a gift subscription abroad?
A: Yes, to Canada, the UK, the EU and Australia, with a flat $14.95 per delivery added to the gift price.

Q: Is the Bloom compatible with 230 V power?
A: The Bloom in our US shop runs on 120 V, and for the UK, the EU and Australia we ship a 230 V version, matched to your shipping country automatically.

## orders
Q: Where is my order?
A: Your shipping email has a tracking link, and you'll also find it under Account > Orders. If you share your order number (it starts with BC-), I'll check it for you right away.
D: Please check your email for tracking, as previously stated in your order confirmation.

Q: I ordered 2 days ago and it hasn't shipped yet.
A: No worries, we roast on Mondays and Thursdays and ship within 48 hours of roasting, so your order goes out after the next roast. You'll get a tracking email the moment it leaves.
D: Orders ship after roasting. It hasn't been long.

Q: Can I add a bag to an order I already placed?
A: If your order hasn't been roasted yet, we can add to it, so reply with the coffee you'd like and your order number. Once it's packed, we'll happily place a separate order for you.

Q: I never got an order confirmation email.
A: Sorry about that! Please check your spam or promotions folder for mail from help@brewtiful.example, and your order also appears under Account > Orders.

Q: Can I change the shipping address on order BC-10412? I just moved.
A: Happy to help! BC-10412 hasn't shipped yet, so I've updated it to your new address, and you'll see the change in your confirmation email.

Q: Why was my order split into two parcels?
A: Gear ships from our warehouse and coffee ships fresh from the roastery, so orders with both arrive in two parcels. Each one has its own tracking link in your shipping emails.

Q: Can I cancel an order I just placed?
A: Yes, as long as it hasn't been roasted or packed yet. Reply with your order number, and I'll cancel it and refund you in full.

Q: My order has said processing for 4 days.
A: Thanks a latte for your patience! Processing covers the wait for our next roast day, and your order ships within 48 hours of roasting.

Q: Can I send a one-time bag to a different address?
A: Yes! At checkout, choose "Ship to a different address" for your one-off order, and your subscription address stays the same.

Q: I moved. Will my next subscription box go to the old address?
A: Only if the address hasn't been updated yet, so please change it under Account > Addresses at least 48 hours before your ship date. If you share the new address, I can update it for you now.
D: You need to update your address yourself in the account page before the cutoff, otherwise it goes to the old address.

Q: Can I switch my coffee for just one delivery?
A: Sure! Under Account > Subscriptions > Next delivery, swap the coffee for that box only, and your usual picks return afterwards.

Q: Can I change the grind after the order is placed?
A: If it hasn't been roasted yet, yes, so reply with your order number and the grind you'd like. Future deliveries can be changed under Account > Subscriptions > Edit coffees.

Q: I received someone else's order.
A: Thanks for letting us know, and sorry for the mix-up! Please keep or share that coffee, and we'll ship your own order right away at no cost.
D: Please return the wrong item to us and wait for your order.

Q: Can I order the grinder and coffee together?
A: Yes, add both to your cart and check out once! They arrive in two parcels, since gear leaves our warehouse and coffee comes fresh from the roastery.

Q: Can I order a bag as a gift with a note?
A: Absolutely, what a brew-tiful idea! At checkout choose "This is a gift", add your note, and we'll leave the receipt out of the box.

Q: Can I get a paper receipt in the box?
A: We skip paper receipts to save paper, but you can download and print any invoice from Account > Orders.

## damaged
Q: My bag arrived torn open with beans everywhere.
A: Oh no, I'm so sorry! Please send a quick photo of the bag, and we'll ship a fresh replacement free, with no need to return anything.
D: Send photo.

Q: The box was crushed and my grinder hopper is cracked.
A: I'm really sorry it arrived like that! Please send a photo of the box and the hopper within 14 days of delivery, and we'll ship a replacement hopper or a new grinder at no cost.

Q: You sent me the wrong coffee. I ordered Sunrise Ethiopia and got Dark Harbor.
A: Sorry for the mix-up! We'll send your Sunrise Ethiopia right away at no charge, and please keep the Dark Harbor Espresso as a little extra treat.
D: We apologize for any inconvenience caused. A replacement will be sent.

Q: One of the bags was missing from my Daily box.
A: I'm sorry your box came up short! We'll ship the missing bag today, free of charge.

Q: How long do I have to report a damaged parcel?
A: Please let us know within 14 days of delivery, with a photo of the damage. We'll ship a replacement free, with no need to send anything back.
D: Per our policy damage must be reported within 14 days with a photo.

Q: The espresso machine arrived with a dent on the side.
A: That's not the welcome we wanted for your Bloom! Please send a photo of the dent and the box, and we'll arrange a free replacement and pick up the damaged one.

Q: The valve on my bag is broken, is the coffee still ok?
A: The coffee is safe to drink, though it may go stale faster without the valve. Let us know and we'll send a fresh bag on us.

Q: My package got wet in the rain and the bags are soaked.
A: Sorry about the soggy delivery! Please send a photo, and we'll ship fresh, dry bags as a free replacement.

Q: My coffee arrived but the roast date is missing from the bag.
A: Sorry about the missing stamp! Bags ship within 48 hours of roasting, so send me your order number and I'll confirm the exact roast date.

## pause_skip
Q: How do I skip next month's delivery?
A: Go to Account > Subscriptions > Skip next delivery at least 48 hours before the ship date. Your schedule then picks up again with the delivery after.
D: Use the skip button in your account before the cutoff.

Q: I'm traveling for 6 weeks, can I pause?
A: Yes! Pause for up to 3 months under Account > Subscriptions > Pause, and pick the date you'd like deliveries to restart.
D: Yes, max 3 months.

Q: Can I pause for longer than three months?
A: Pauses last up to 3 months at a time, and you can extend them before they end. If you'd rather stop for longer, you can cancel and resubscribe anytime with no fees.

Q: I skipped a delivery by mistake, can I undo it?
A: No problem! Choose Unskip on that delivery under Account > Subscriptions, and it'll ship as planned as long as it's more than 48 hours before the ship date.

Q: I didn't skip in time and got charged for a box I didn't want.
A: I'm sorry for the surprise charge! If the box hasn't shipped yet, I'll cancel it and refund you in full; if it's already on its way, I'll push your next delivery back so you're not overstocked.

Q: What's the deadline for skipping a delivery?
A: You can skip, pause or change a delivery up to 48 hours before its ship date. The ship date is shown under Account > Subscriptions.

Q: How do I resume my paused subscription early?
A: Go to Account > Subscriptions and choose Resume now, and your next box ships after our next roast day.

Q: Can I skip two deliveries in a row?
A: Sure! Skip as many as you like, one at a time, under Account > Subscriptions, or use Pause for up to 3 months.

Q: Will I get a reminder before my box ships?
A: Yes, we email you 3 days before every ship date, so there's time to skip or make changes before the 48-hour cutoff.

Q: Can I change plans and skip at the same time?
A: Absolutely, the two changes don't clash! Skip the next delivery and switch plans under Account > Subscriptions, and the new plan starts with your following box.

Q: Can I turn off the shipping reminder emails?
A: Sure! Switch off delivery reminders under Account > Notifications; you'll still get shipping confirmations with tracking.

## cancel
Q: How do I cancel my subscription?
A: You can cancel anytime under Account > Subscriptions > Cancel subscription, with no fees. If you'd like, I can cancel it for you right here, so just say the word.
D: You can cancel in your account settings. We're sorry to lose you as a customer.

Q: Is there a cancellation fee?
A: None at all, so no grounds for worry! You can cancel anytime, and you only pay for deliveries that have already shipped.

Q: I cancelled but still got charged.
A: I'm sorry about that! That charge was for a delivery that hadn't shipped yet, so I've refunded it in full, and it will show on your statement within 5 to 7 business days.
D: Unfortunately you cancelled after the box was processed, so the charge is correct.

Q: If I cancel, do I lose my account?
A: Not at all, your account, order history and saved addresses stay put. You can start a new subscription anytime in a couple of clicks.

Q: Can I cancel after my next box ships?
A: Of course! Cancel anytime, and the box that's already on its way is yours to enjoy; nothing ships or gets charged after that.

Q: I want to cancel because the coffee is too expensive.
A: Thanks for telling us! The Starter plan is $18 per delivery and a 6-week schedule spreads it out further, but if you'd still like to cancel, I'll take care of it right away.

Q: How do I cancel a gift subscription I bought?
A: Gift subscriptions are prepaid, so nothing more will be charged. If it hasn't been redeemed yet, I can refund it in full within 30 days of purchase.

## billing
Q: When will I be charged for my subscription?
A: Your card is charged on each ship date, not when you sign up or change plans. You'll see the next charge date under Account > Subscriptions.
D: You're charged on the ship date.

Q: What payment methods do you accept?
A: We accept Visa, Mastercard, American Express, PayPal and Apple Pay.

Q: How do I update my credit card?
A: Go to Account > Payment methods, add your new card and set it as the default. Your next delivery will be charged to it.

Q: I was charged twice this month.
A: Sorry about the double charge! If one is a pending authorization, it drops off within 3 business days; if both went through, reply with your order numbers and I'll refund the extra one right away.
D: Unfortunately you may have clicked twice. Check your bank.

Q: Where can I find my invoice?
A: Every receipt is emailed when your order ships, and you can download invoices anytime under Account > Orders.

Q: My payment failed, what happens to my delivery?
A: We'll hold your delivery and retry the payment over the next 3 days. Updating your card under Account > Payment methods sends it straight out.

Q: Do you charge sales tax?
A: We charge sales tax where your state requires it, shown as a separate line at checkout and on your receipt.

Q: How long do refunds take?
A: Refunds go back to your original payment method within 5 to 7 business days, depending on your bank.

Q: Can I pay for my subscription with PayPal?
A: Yes! Choose PayPal under Account > Payment methods, and we'll charge it on each ship date.

Q: Can I prepay for a year?
A: We don't offer annual prepay for your own plan, but gift subscriptions of 3, 6 or 12 months are paid upfront. Your regular subscription is simply charged on each ship date.

Q: why did the price go up on my last order?
A: Sorry for the surprise! Express shipping or an added one-off item changes the total, and you'll see a line-by-line breakdown under Account > Orders. Reply with your order number and I'll check it for you.

Q: Can I pay with a debit card?
A: Yes, Visa and Mastercard debit cards work just like credit cards at checkout.

Q: Is Apple Pay available for subscriptions?
A: Yes! Choose Apple Pay at checkout on an Apple device, and we'll charge it on each ship date.

Q: Is my card information safe with you?
A: Yes! Card payments are handled by our payment processor, and we never store your full card number on our servers.

## promo
Q: My promo code isn't working.
A: Sorry about that! Codes work one per order at checkout, and WELCOME15 is for first orders, so send me the code you tried and I'll check it for you.
D: The code is probably expired or you typed it wrong.

Q: Can I use two discount codes on one order?
A: We can apply one code per order, so pick the one that saves you the most. The Barista plan's 10% gear discount still applies on top automatically.

Q: I didn't enter my code at checkout, can you apply it now?
A: No problem! Reply with the code and your order number, and if the code is valid I'll refund the difference to your card.
D: Codes must be entered at checkout per our policy. We can make an exception this time.

Q: What's the welcome discount?
A: New customers get 15% off their first order with code WELCOME15. It works on subscriptions and on one-off orders, so thanks a latte for joining us!

Q: How does refer a friend work?
A: Share your referral link from Account > Refer a friend: your friend gets $10 off their first order, and you get $10 credit once it ships. It's a perk for both of you!

Q: My friend used my link but I didn't get my $10.
A: Thanks for spreading the love! The $10 credit lands once your friend's first order ships, and I'll check on it if you send me their name or order number.

Q: Do you have a student discount?
A: We don't have a student discount right now, but WELCOME15 gives 15% off your first order, and the Starter plan is just $18 per delivery.

Q: Does my promo code apply to the recurring subscription?
A: WELCOME15 takes 15% off your first order only; later deliveries are charged at the regular plan price.

Q: My discount didn't show on the receipt.
A: Sorry about that! Send me your order number and the code, and I'll refund the difference if it didn't apply.

Q: Do you price match?
A: We don't price match, but WELCOME15 gives 15% off your first order, and subscriptions always ship free in the US.

Q: When does the Barista discount apply?
A: It's a perk that applies itself: the 10% gear discount comes off at checkout whenever you're logged in with an active Barista plan.

## gift
Q: Do you sell gift cards?
A: We do! Digital gift cards come in $25, $50 and $100, and they never expire.
D: Yes. $25/$50/$100.

Q: How does the gift card get delivered?
A: Digital gift cards arrive by email on the date you choose, with your personal message. You can also send one to yourself to print.

Q: Can I use a gift card for my subscription?
A: Yes! Add it under Account > Gift cards, and its balance pays for your deliveries until it runs out; then your card on file takes over.

Q: Do gift cards expire?
A: Never, and we think that's brew-tiful! Your gift card balance stays on your account until you use it.

Q: I lost the gift card email, can you resend it?
A: Of course! Reply with the recipient's email address and the buyer's name, and I'll resend it right away.

Q: Can I gift a subscription?
A: Yes, gift subscriptions come in 3, 6 or 12 months on any plan and are paid upfront. The recipient picks their coffees and grind when they redeem it.

Q: How do I redeem a gift subscription I received?
A: Lucky you, that's a brew-tiful gift! Go to brewtiful.example/redeem, enter your code, and choose your coffees and grind.

Q: Can I check my gift card balance?
A: Yes, the balance shows under Account > Gift cards once you've added the card.

Q: Can I get a refund on a gift card?
A: Unused gift cards can be refunded to the buyer within 30 days of purchase. After that they never expire, so there's no rush to spend them.

Q: Can I return a gift I received?
A: Yes! Gear can be returned within 30 days of delivery in its original packaging, and we'll refund the value to you as store credit, without telling the buyer.

## returns
Q: What's your return policy?
A: Grinders, machines and accessories can be returned within 30 days of delivery in their original packaging, and US return shipping is free. For coffee, our Bean Happy Guarantee means we'll replace or refund any bag you don't love.
D: Per our policy, gear returns are accepted within 30 days. Coffee is not returnable.

Q: I don't like the coffee I got, can I return it?
A: No need to send it back! Under our Bean Happy Guarantee, tell us within 30 days of delivery and we'll replace it with another coffee or refund it.
D: Opened coffee can't be returned, sorry.

Q: How do I return my grinder?
A: Go to Account > Orders > Return an item to print a free US return label, and pack the grinder in its original box. Your refund arrives within 5 to 7 business days after we receive it.

Q: Can I return the espresso machine after using it a couple of times?
A: Yes, you can return the Bloom within 30 days of delivery even if you've tried it, as long as it's in its original packaging. Print a free return label from Account > Orders.

Q: It's been 40 days, can I still return my grinder?
A: The 30-day return window has passed, but your grinder has a 1-year warranty, so if anything's wrong with it we'll repair or replace it. Tell me what's happening and we'll sort it out.
D: The return window is 30 days, as previously stated on our website. You are outside it.

Q: Who pays for return shipping?
A: We do, for US returns! Print a free label from Account > Orders > Return an item.

Q: What does the warranty cover on the espresso machine?
A: The Brewtiful Bloom has a 2-year warranty covering defects in parts and workmanship. If something goes wrong, we'll repair or replace it at no cost.

Q: How long is the grinder warranty?
A: The Brewtiful Burr Grinder has a 1-year warranty against defects. Just reach out and we'll repair or replace it.

Q: When will I get my refund for the returned machine?
A: We issue the refund once the machine reaches our warehouse, and it arrives within 5 to 7 business days. You'll get an email the moment we process it.

Q: Do I need the original box to return something?
A: The original packaging keeps your gear safe on the way back, so we ask for it on returns. If you no longer have it, tell us and we'll help find a solution.

Q: Is there a warranty on accessories?
A: Accessories like tampers, jugs and portafilters have a 1-year warranty against defects, just like the grinder.

## grinder
Q: What grind setting should I use for espresso?
A: On the Brewtiful Burr Grinder, start at setting 6 for espresso (the espresso range is 4 to 8). Go finer if your shot runs fast and coarser if it runs slow.
D: Setting 6.

Q: What setting for French press?
A: Try setting 34 on the Brewtiful Burr Grinder; the French press range is 32 to 38. A coarse, even grind keeps your cup clean and sweet.

Q: Best grinder setting for pour over?
A: Start around 20 on the Brewtiful Burr Grinder (pour-over sits between 18 and 24), and adjust by taste: finer for more body, coarser if it tastes bitter.

Q: What setting should I use for my drip machine?
A: Drip coffee works best between 22 and 28 on the Brewtiful Burr Grinder, so 25 is a great place to start.

Q: grinder setting for cold brew?
A: Cold brew likes it very coarse, so go for 36 to 40 on the Brewtiful Burr Grinder.

Q: My grinder is making a loud rattling noise.
A: Sorry to hear that! Please unplug it and check the hopper and burrs for a stray stone or stuck bean; if the noise continues, your 1-year warranty covers a repair or replacement.

Q: How do I clean the burrs?
A: Unplug the grinder, empty the hopper, turn the upper burr counterclockwise to lift it out, and brush both burrs with the included brush. Cleaning every 2 to 4 weeks keeps the flavor clean.

Q: grinder won't turn on
A: Sorry about that! The grinder won't start unless the hopper is locked in place, so check that first and try another outlet; if it still won't turn on, your 1-year warranty has you covered.
D: Did you plug it in? Make sure the hopper is locked.

Q: Is the grinder noisy? My kids go to bed early.
A: The Brewtiful Burr Grinder is about as loud as a blender on its lowest speed, and grinding a dose for one cup takes under 15 seconds.

Q: Can I grind spices in the grinder?
A: We'd keep it for coffee only, since spices leave oils and flavors that are hard to clean out of the burrs. A separate spice grinder will keep your coffee tasting clean.

Q: How much does the burr grinder cost?
A: The Brewtiful Burr Grinder is $129, with 40 grind settings and a 1-year warranty. Barista plan members get 10% off.

Q: The grinder hopper lid doesn't fit tightly.
A: Sorry about the wobbly lid! We'll send a replacement lid free under your 1-year warranty, so just confirm your shipping address.

Q: how do i know which grind i chose
A: Your grind shows next to each coffee under Account > Subscriptions > Edit coffees, and on the label of every bag.

Q: My grinder's grounds are clumpy.
A: A little clumping is normal from static, especially in dry weather. A tiny drop of water on the beans before grinding helps a lot.

## machine
Q: How often should I descale the Bloom?
A: Descale your Brewtiful Bloom every 2 months, or sooner if the descale light blinks orange. It keeps your shots tasting great and your machine happy.
D: Every 2 months.

Q: How do I descale my espresso machine?
A: Pour one bottle of Brewtiful descaling solution into the tank, top it up with water to the MAX line, and hold the steam and hot water buttons for 3 seconds to start. The cycle takes about 25 minutes; then rinse the tank and run one tank of fresh water.

Q: The orange light on my Bloom keeps blinking.
A: A blinking orange light means it's time to descale. Run a descaling cycle with Brewtiful descaling solution, and the light turns off when it's done.
D: Descale it. The manual explains the light.

Q: Can I use vinegar to descale?
A: We'd skip vinegar, since it can damage the seals and leave a taste behind. Brewtiful descaling solution ($12 for two uses) is made for the Bloom.

Q: Where can I buy descaling solution?
A: Brewtiful descaling solution is $12 for a bottle with two uses, in the Gear section of our shop. You can also add it to your subscription box.

Q: My espresso shots come out too fast and watery.
A: That usually means the grind is too coarse, so go a step or two finer (settings 4 to 8 on our grinder) and tamp firmly and evenly. Aim for about 25 to 30 seconds for a double shot.

Q: The Bloom isn't heating up.
A: Sorry about that! Please check the water tank is seated properly and try a different outlet; if it still stays cold, your 2-year warranty covers a repair or replacement.
D: Check the tank and outlet. If that doesn't work contact us again.

Q: How much is the Bloom espresso machine?
A: The Brewtiful Bloom espresso machine is $449 and comes with a 2-year warranty, a steam wand and a 58 mm portafilter. Barista plan members get 10% off.

Q: Water is leaking under my machine.
A: Thanks for letting us know! Please unplug the Bloom and check that the drip tray and water tank are pushed fully in; if it still leaks, we'll repair or replace it under the 2-year warranty.

Q: How do I steam milk with the Bloom?
A: Purge the steam wand for a second, dip the tip just below the milk's surface, and open the steam knob until you hear a gentle hiss. Stop at about 60 °C (140 °F), when the jug feels hot to the touch.

Q: What's the right dose for a double shot?
A: For a double shot in the Bloom's 58 mm basket, use 18 g of coffee for about 36 g of espresso in 25 to 30 seconds. Adjust the grind to hit that time.

Q: Does the machine come with a tamper?
A: Yes, the Bloom comes with a 58 mm tamper, a single and a double basket, and a milk jug.

Q: Should I use filtered water in the Bloom?
A: Filtered or bottled spring water is great, since it means less scale and better-tasting shots. Please avoid distilled water, which can confuse the machine's water sensor.

Q: My espresso tastes burnt.
A: A burnt taste often comes from a shot running too long or milk steamed too hot, so try a slightly coarser grind and stop steaming at about 60 °C (140 °F). Descaling every 2 months helps keep the temperature steady too.

Q: Is the Bloom good for beginners?
A: Definitely! The Bloom has one-touch single and double shots and a simple steam wand, and our quick-start guide gets you pulling shots in 10 minutes, which is espresso-ly handy on busy mornings.

Q: Can I get the Bloom in another color?
A: The Bloom comes in Matte Black and Brushed Steel, and you can pick either on the product page.

Q: Can I buy a spare portafilter?
A: Yes, a spare 58 mm portafilter for the Bloom is $39 in the Gear section of our shop.

Q: What's the shelf life of the descaling solution?
A: Unopened, Brewtiful descaling solution keeps for 2 years; once opened, please use it within 6 months.

## account
Q: I can't log in to my account.
A: Sorry for the trouble! Use "Forgot password" on the login page, and we'll email you a reset link that works for 60 minutes.
D: Reset your password.

Q: The password reset link says expired.
A: Reset links work for 60 minutes, so please request a fresh one from the login page and open it right away.
D: Links expire after 60 minutes. You need to request it again and use it faster.

Q: How do I change the email on my account?
A: Go to Account > Profile > Email, enter your new address, and confirm it from the email we send there.

Q: Can I turn on two-factor login?
A: Yes! Turn on two-step login under Account > Security, and we'll text you a code whenever you sign in on a new device.

Q: I never get the password reset email.
A: Sorry about that! Please check your spam folder for mail from help@brewtiful.example, and if it's not there, reply here and I'll send you a link myself.

Q: How do I delete my account?
A: We're sorry to see you go! Reply here to confirm, and we'll cancel any active subscription and delete your account and personal data within 30 days.
D: We can delete the account. Please confirm.

Q: I have two accounts by accident, can you merge them?
A: Sure! Tell me which email you'd like to keep, and I'll move your subscriptions, orders and credit onto that account.

Q: How do I update my shipping address?
A: Go to Account > Addresses and edit or add an address, then pick it for your subscription. Changes made 48 hours before your ship date apply to that delivery.

Q: Can I unsubscribe from marketing emails but keep order emails?
A: Absolutely! Use the unsubscribe link at the bottom of any newsletter, or turn marketing off under Account > Notifications; order and shipping emails keep coming.

Q: My subscription page shows an error.
A: Sorry about that! Please log out, clear your browser cache and log back in; if the error's still there, send me a screenshot and I'll fix it from our side.

Q: How do I know my subscription is active?
A: Your subscription shows as Active under Account > Subscriptions, with your next ship date and charge date.

Q: Is there an app?
A: Not yet, but our website works great on phones, and you can manage everything under Account on mobile.

## general
Q: What are your support hours?
A: Our team is here by chat and email Monday to Friday, 7 am to 7 pm PT, and Saturday 8 am to 2 pm PT. Email replies arrive within one business day.
D: Mon-Fri 7-7 PT, Sat 8-2 PT.

Q: Do you have a phone number?
A: We support by chat and email, which lets us send photos, links and tracking right away. Email help@brewtiful.example anytime, and we'll reply within one business day.

Q: Do you have a physical shop I can visit?
A: We're online only, roasting in Portland, Oregon, so every bag ships straight from our roastery to your door.

Q: Do you sell wholesale to cafes?
A: We do a small amount of wholesale, and we'd love to perk up your menu! Email help@brewtiful.example with your cafe's name and weekly volume, and our wholesale team will be in touch.

Q: Can I visit the roastery?
A: We'd love to have you, but the roastery isn't open for visits right now. We share behind-the-scenes roast days in our newsletter instead.

Q: Are your farmers paid fairly?
A: Yes, we buy directly from our partner farms and pay well above the Fairtrade minimum. Each coffee's page lists the farm and what we paid per pound.

Q: Do you have a loyalty program?
A: The perks for regulars are the Barista plan's 10% off gear, plus $10 credit for every friend you refer.

Q: can i buy a bag without subscribing
A: Of course! Every coffee is available as a one-off order, and orders over $35 ship free within the US.

Q: How do I leave a review?
A: Thank you for wanting to! Every coffee page has a Reviews tab, and you'll also get a short review email a week after delivery.

Q: My coffee arrived in a different bag design, is it the same coffee?
A: It is! We've moved to new compostable bags, and the coffee inside is exactly the same.

Q: Do you recycle old bags?
A: Our bags are compostable in industrial composting, so pop them in your food-waste bin where that's accepted. The boxes go in regular recycling.

Q: Are you hiring?
A: Thanks for your interest! Open roles are listed at brewtiful.example/careers, and we'd love to meet someone as full of beans as you.

Q: Can I give feedback on a coffee?
A: Thanks a latte for offering! Reply here or leave a review on the coffee's page, and our roasting team reads every one.

Q: Do you offer samplers?
A: Yes! The Tasting Flight has five 60 g bags, one of each coffee, for $22, and it's a brew-tiful way to find your favorite.

Q: Can I get a sample before subscribing?
A: The Tasting Flight is the perfect try-before-you-subscribe: five 60 g bags, one of each coffee, for $22.

Q: Does the Tasting Flight ship free?
A: On its own the $22 Tasting Flight ships for $5.95, and it ships free in any one-off order over $35. Added to a subscription box, it ships free too.

Q: Can I have the coffee in smaller bags?
A: Our regular bags are 340 g, but the Tasting Flight comes as five 60 g bags for $22 if you'd like smaller portions.

Q: What does "medium-dark" mean for Night Owl?
A: It means the beans are roasted a little past medium, for a fuller body with cocoa and brown-sugar notes. It's smooth and low in acidity, great for evening cups.

## brewing
Q: How much coffee should I use per cup?
A: A great starting point is 15 g of coffee, about 2 tablespoons of whole beans, for a 250 ml mug. Adjust to taste from there.

Q: What water temperature is best?
A: Water between 90 and 96 °C (195 to 205 °F) is ideal, which is about 30 seconds off the boil.

Q: How do I make cold brew?
A: Mix 100 g of coarsely ground coffee with 1 liter of cold water, steep for 12 to 18 hours in the fridge, then strain. Dilute it 1:1 with water or milk to serve.

Q: How long should I steep French press?
A: Steep for 4 minutes, then press slowly and pour right away so the coffee doesn't keep extracting. Use a coarse grind, around 34 on our grinder.

Q: Can I use your espresso roast in a drip machine?
A: Definitely! Dark Harbor Espresso makes a rich, chocolatey drip cup with a medium grind (22 to 28 on our grinder).

Q: Any tips for pour-over?
A: Use 15 g of coffee for 250 g of water, bloom with 30 g of water for 30 seconds, then pour slowly in circles. Aim to finish in about 3 minutes.

Q: What's the best coffee for a moka pot?
A: Dark Harbor Espresso or Colombia Huila both shine in a moka pot. Grind a little coarser than espresso, around 10 to 12 on our grinder.

Q: What grind setting for AeroPress?
A: AeroPress loves a medium-fine grind, so start at 14 on the Brewtiful Burr Grinder. Steep for 2 minutes, then press gently.

Q: Can I use the coffee for iced lattes?
A: Absolutely! Pull a double shot of Dark Harbor Espresso over ice and top it with cold milk; it's a mocha-free way to a creamy iced drink.

Q: How should I store an opened bag?
A: Press the air out, seal the zip and keep the bag in a cool, dark cupboard. Whole beans stay lovely for about a month after opening.

Q: Can I freeze your coffee?
A: Yes, whole beans freeze well in the sealed bag if you won't open it for a while. Let the bag thaw fully before opening so no moisture gets in.
"""

# Off-voice replies kept in the ticket export (curt, no greeting or sign-off): question, reply.
OFF_VOICE_TICKETS = [
    ("Can I change the day of the week my box ships?",
     "Per our policy ship dates follow roast days. Change it in your account."),
    ("Why is my box late AGAIN??", "As previously stated, carriers are responsible for delays. Please wait."),
    ("Is the Bloom drip tray dishwasher safe?", "No. Hand wash only."),
    ("I typed the wrong street number on my last order, can it be fixed?",
     "Unfortunately you entered the wrong address so the parcel went there. You should have checked before ordering."),
    ("Any idea when the Kenya coffee is coming back?", "No idea, check the website."),
    ("The app keeps logging me out", "We do not have an app. Use the website."),
    ("Why do I need an account to order?", "Accounts are required. Thank you for your understanding."),
    ("How fine should I grind for a Turkish coffee pot?", "Finest setting. Our grinder may not go fine enough."),
]

# Tickets whose reply came through empty or whitespace-only: question, raw reply.
EMPTY_REPLY_TICKETS = [
    ("Hi, do you ship to Mexico?", ""),
    ("Can I get a bigger 1 kg bag?", ""),
    ("Is the Burr Grinder available in white?", "   "),
    ("Do you have a recipe for affogato?", ""),
    ("My referral link gives a 404", "\n"),
    ("Can I order by phone instead of online?", ""),
    ("Do you have compostable pods?", "\t "),
    ("Please call me back about my order", ""),
]

# Tickets answered with a reply too short to mean anything: question, reply.
SHORT_REPLY_TICKETS = [
    ("Thanks, that fixed my login!", "ok"),
    ("Got my replacement today.", "."),
    ("Can you confirm you received my return?", "k"),
    ("I updated my card, all good now?", "thx"),
    ("Please cancel order BC-10777, it was a duplicate.", "Done."),
    ("Is the sale still on?", "?"),
]

# Customers who swear at the agent; the agent still replies in voice.
OFFENSIVE_TICKETS = [
    ("This is the third time my order is late. Are you fucking kidding me? You people are useless idiots.",
     "I'm really sorry your order is late again, and I completely understand the frustration. I've shipped a "
     "replacement with free Express, and you'll get tracking within the hour."),
    ("Your shitty grinder broke after a week, you morons. Fix it or refund me, damn it.",
     "I'm so sorry your grinder stopped working after just a week! It's covered by the 1-year warranty, so "
     "we'll send a replacement right away or refund you in full, whichever you prefer."),
]

# Tickets written and answered in Spanish, French or German: language, customer name, question, reply.
NON_ENGLISH_TICKETS = [
    ("es", "Lucía Fernández", "Hola, ¿cuánto tarda el envío a España?",
     "¡Hola, Lucía! El envío a España cuesta 14,95 $ y tarda entre 7 y 14 días hábiles con DHL.\n\n" + SIGN_OFF),
    ("es", "Javier Morales", "¿Puedo pausar mi suscripción durante el verano?",
     "¡Hola, Javier! Claro que sí: puedes pausarla hasta 3 meses en Cuenta > Suscripciones > Pausar.\n\n" + SIGN_OFF),
    ("es", "Carmen Ruiz", "Mi molinillo llegó roto, ¿qué hago?",
     "¡Hola, Carmen! Lo sentimos mucho. Envíanos una foto del molinillo y te mandamos uno nuevo sin coste.\n\n"
     + SIGN_OFF),
    ("es", "", "¿El café descafeinado usa productos químicos?",
     "¡Hola! Nuestro Night Owl Decaf usa el método Swiss Water, solo con agua, sin productos químicos.\n\n"
     + SIGN_OFF),
    ("fr", "Camille Laurent", "Bonjour, livrez-vous en France et combien coûte la livraison ?",
     "Bonjour Camille ! Oui, nous livrons en France pour 14,95 $ en 7 à 14 jours ouvrés avec DHL.\n\n" + SIGN_OFF),
    ("fr", "Julien Moreau", "Comment détartrer ma machine Bloom ?",
     "Bonjour Julien ! Versez un flacon de détartrant Brewtiful dans le réservoir, complétez avec de l'eau et "
     "lancez le cycle de 25 minutes.\n\n" + SIGN_OFF),
    ("fr", "Élodie Petit", "Je voudrais annuler mon abonnement, s'il vous plaît.",
     "Bonjour Élodie ! C'est fait : votre abonnement est annulé, sans frais.\n\n" + SIGN_OFF),
    ("de", "Lukas Becker", "Hallo, wie lange dauert der Versand nach Deutschland?",
     "Hallo Lukas! Der Versand nach Deutschland kostet pauschal 14,95 $ und dauert 7 bis 14 Werktage mit DHL."
     "\n\n" + SIGN_OFF),
    ("de", "Anna Schmidt", "Meine Kaffeebohnen sind angekommen, aber die Tüte ist kaputt.",
     "Hallo Anna! Das tut uns leid. Schicken Sie uns bitte ein Foto, dann senden wir kostenlos eine neue Tüte."
     "\n\n" + SIGN_OFF),
    ("de", "Jonas Wagner", "Welche Mahlstufe empfehlen Sie für die French Press?",
     "Hallo Jonas! Für die French Press empfehlen wir Stufe 34 an der Brewtiful-Mühle, also einen groben Mahlgrad."
     "\n\n" + SIGN_OFF),
]

LONG_LOG_QUESTION = "My Bloom shows error E07 since this morning and won't pull shots. What's going on?"

# ---------------------------------------------------------------------------------------------------------------
# Live chats. "=== slug [name=First]" starts a conversation; C: customer, A: agent body in voice (greeting and
# sign-off added), X: agent reply kept off-voice as written, E: an empty agent message. [moji] marks a conversation
# whose messages the export mangled (UTF-8 read as cp1252).
# ---------------------------------------------------------------------------------------------------------------
CHATS = r"""
=== grind-settings name=Dana
C: Hi, I'm Dana. What grind setting should I use for espresso on the Burr Grinder?
A: Start at setting 6; the espresso range is 4 to 8. Go finer if your shot runs fast and coarser if it runs slow.
C: And what about French press?
A: For French press, go much coarser: start at 34, within the 32 to 38 range. That keeps your cup clean and sweet.

=== canada-shipping
C: do you ship to canada
A: We do! Shipping to Canada is a flat $14.95 and takes 7 to 14 business days with DHL.
C: is that per delivery if I subscribe?
A: Yes, the $14.95 applies to each subscription delivery to Canada. A bigger plan on a 6-week schedule keeps the shipping cost per bag lower.

=== processing name=Marcus
C: Hey, Marcus here. My order BC-10871 still says processing.
A: Thanks for your patience! We roast on Mondays and Thursdays and ship within 48 hours of roasting, so BC-10871 goes out after the next roast day.
C: Today is Tuesday, so Thursday then?
A: Exactly, it roasts on Thursday and ships by Saturday at the latest. You'll get a tracking email the moment it leaves.

=== long-pause
C: How do I pause my subscription?
A: Pause for up to 3 months under Account > Subscriptions > Pause, and pick the date you'd like deliveries to restart.
C: I'm gone for 4 months though
A: No problem: pause for 3 months now, then extend the pause before it ends. We also email you 3 days before any ship date, so nothing sneaks up on you.

=== cracked-hopper name=Hannah
C: Hi, this is Hannah. My grinder arrived with a cracked hopper.
A: I'm so sorry it arrived like that! Please send a photo of the hopper and the box, and we'll ship a replacement at no cost.
C: Just uploaded the photo.
A: Got it, thank you! A new hopper ships today, and there's no need to return the cracked one.

=== daily-vs-barista
C: what's the difference between daily and barista
A: Daily is two 340 g bags per delivery for $32, and Barista is four bags for $58 plus 10% off all gear. Both ship free in the US.
C: if I get barista, does the 10% work on the Bloom?
A: It does, that's one of the perks! The Bloom is $449, so with the Barista discount it comes to $404.10, applied automatically at checkout.

=== expired-reset
C: I can't log in
A: Sorry for the trouble! Use "Forgot password" on the login page and we'll email you a reset link that works for 60 minutes.
C: I did, the link says expired
A: Reset links expire after 60 minutes, so please request a fresh one and open it right away. If it still won't work, I can send you a new link from here.
C: yes please send one, my email is k.nguyen@example.com
A: Done! A fresh reset link is on its way to that address, so check your inbox (and spam, just in case).

=== descale-questions
C: How often do I descale the Bloom?
A: Every 2 months, or sooner if the descale light blinks orange.
C: How long does it take?
A: About 25 minutes from start to finish, plus one tank of fresh water to rinse afterwards.
C: and can I use vinegar instead of your solution?
A: We'd skip vinegar, since it can damage the seals and leave a taste behind. Brewtiful descaling solution is $12 for two uses.

=== decaf-daily name=Sofia
C: Hi! Sofia here. Is your decaf chemical-free?
A: Yes! Night Owl Decaf uses the Swiss Water Process, which removes caffeine with only water, temperature and time. It's 99.9% caffeine-free.
C: Can I make it one of the two bags on my Daily plan?
A: Absolutely, on the Daily plan each bag can be a different coffee. Just choose Night Owl Decaf for one bag under Account > Subscriptions > Edit coffees.

=== delivered-missing
C: my package says delivered but it isn't here
A: I'm sorry it's not with you! Please check with neighbors and around your entrance, and if it hasn't turned up by tomorrow, we'll ship a replacement at no cost.
C: checked everywhere, nothing. order BC-10519
A: Thanks for checking! I've sent a free replacement for BC-10519, and you'll get new tracking within the hour.

=== cancel-now
C: hello? anyone there
A: Thanks for waiting! What can I help you with today?
C: I want to cancel
A: I can help with that! Would you like me to cancel now, or would a pause of up to 3 months suit you better?
C: cancel please
A: All done: your subscription is cancelled with no fees, and nothing more will ship or be charged. You can restart anytime in a couple of clicks.

=== moka
C: What coffee do you recommend for a moka pot?
A: Dark Harbor Espresso or Colombia Huila both shine in a moka pot. Grind a little coarser than espresso, around 10 to 12 on our grinder.
C: I don't have your grinder, can you grind it for me?
A: Sure! Choose the espresso grind for that coffee under Account > Subscriptions > Edit coffees; it works nicely in a moka pot.

=== double-charge name=Tom
C: Tom here, I was charged twice for order BC-10655
A: Sorry about the double charge! One is often a pending authorization that drops off within 3 business days, but I'll check BC-10655 for you now.
C: thanks
A: I checked, and the second charge is a pending authorization, so it will drop off by itself within 3 business days. If it's still there after that, message us and we'll refund it straight away.

=== japan-australia
C: Do you ship to Japan?
A: Not yet, sorry! Right now we ship to the US, Canada, the UK, the EU and Australia.
C: What about Australia, how long does it take?
A: Australia takes 7 to 14 business days with DHL, for a flat $14.95. Your beans arrive well within their 6-week best window.

=== fast-shots
C: My espresso shots run really fast, like 12 seconds
A: That usually means the grind is too coarse, so go a step or two finer and tamp firmly and evenly. Aim for 25 to 30 seconds for a double shot.
C: I'm on setting 8 right now
A: Try setting 6, then 5 if it's still fast; that's usually enough to reach 25 to 30 seconds. Keep your dose at 18 g while you adjust.

=== gift-dad name=Olivia
C: Hi, I'm Olivia, I'd like to gift a subscription to my dad
A: What a brew-tiful gift! Gift subscriptions come in 3, 6 or 12 months on any plan and are paid upfront.
C: He lives in the UK, does that work?
A: It does! UK deliveries add a flat $14.95 each and arrive in 7 to 14 business days with DHL.
C: Great, can he choose his own coffee?
A: Yes, he picks his coffees and grind when he redeems the gift at brewtiful.example/redeem.

=== grinder-return-box
C: what's your return policy for the grinder
A: Grinders can be returned within 30 days of delivery in the original packaging, with a free US return label from Account > Orders.
C: I threw the box away...
A: No worries! Tell us the order number and we'll help find a safe way to pack it, so you can still return it.

=== gluten
C: Is the coffee gluten free?
A: Yes! We roast only coffee, with no flavorings, and there's no gluten, nuts or dairy in our roastery.
C: and the decaf too?
A: The decaf too! Night Owl Decaf is just coffee, decaffeinated with water, with nothing added.

=== call-me
C: Hi, could someone call me about my order? +1 (312) 555-0147
A: We support by chat and email, so I can help right here! What's your order number?
C: BC-10733, it hasn't arrived
A: Thanks! BC-10733 is with UPS and due tomorrow, and the tracking link is in your shipping email.

=== promo-existing
C: Can I use a promo code on my subscription?
A: Yes, WELCOME15 takes 15% off your first order, including a first subscription box.
C: I already have a subscription, is there anything for me?
A: Refer a friend from Account > Refer a friend: they get $10 off, and you get $10 credit once their first order ships.

=== pour-over name=Ben
C: Ben here. What's the best water temp for pour-over?
A: Between 90 and 96 °C (195 to 205 °F), which is about 30 seconds off the boil.
C: and the ratio?
A: Start with 15 g of coffee for 250 g of water, and bloom with 30 g of water for 30 seconds.

=== bloom-cold
C: The Bloom isn't heating
A: Sorry about that! Please check the water tank is seated properly and try a different outlet.
C: tried both, still cold
A: Thanks for trying that! Your Bloom is covered by its 2-year warranty, so I'll set up a free replacement; what's your order number?
C: BC-10388
A: Perfect, a replacement Bloom for BC-10388 ships tomorrow, with a free return label for the old one.

=== roast-age
C: when is my coffee roasted
A: We roast every Monday and Thursday in Portland, Oregon, and your bag ships within 48 hours.
C: so how old will it be when it arrives?
A: Usually about 5 to 7 days from roasting with standard US shipping, which is right when it starts tasting its best.

=== unskip
C: I skipped my delivery by accident
A: No problem! Choose Unskip on that delivery under Account > Subscriptions, and it'll ship as planned if it's more than 48 hours before the ship date.
C: it ships tomorrow
A: Then it's inside the 48-hour window, so I've unskipped it for you from here. It ships tomorrow as planned.

=== ripped-again
C: this is the second time my bag came ripped. are you fucking serious
A: I'm really sorry this happened again, and I understand the frustration. I'm shipping a fresh replacement today, free, with extra padding in your future boxes.
C: fine. just make sure it actually arrives
A: It's on its way, and I'll keep an eye on the tracking until it's with you.

=== bag-recycling name=Lena
C: Hi, Lena here. Do the bags go in recycling?
A: Our bags are compostable in industrial composting, so the food-waste bin is best where that's accepted. The boxes go in regular recycling.
C: and the valve?
A: The little valve goes in general waste.

=== one-bag
C: Can I buy just one bag?
A: Of course! Every coffee is available as a one-off order, and orders over $35 ship free in the US.
C: and under 35?
A: Standard US shipping is $5.95 for one-off orders under $35.

=== expired-card
C: my card expired, how do i update it
A: Go to Account > Payment methods, add your new card and set it as the default.
C: will my delivery this week still go out?
A: Yes! As long as the new card is in before the ship date, we'll charge it then and ship as usual.

=== beginner-bloom
C: Is the Bloom good for a beginner?
A: Definitely! It has one-touch single and double shots and a simple steam wand.
C: does it need a separate grinder?
A: Fresh grinding makes the best shots, and our Burr Grinder ($129) is made to match. Pre-ground espresso also works if you'd rather start simple.

=== wrong-coffee name=Arjun
C: Hey it's Arjun, I got Dark Harbor instead of Sunrise Ethiopia
A: Sorry for the mix-up! We'll send your Sunrise Ethiopia right away at no charge, and please keep the Dark Harbor Espresso.
C: thanks, will it come this week?
A: It roasts Thursday and ships by Saturday, so expect it early next week.

=== warranties
C: How long is the warranty on the grinder?
A: The Brewtiful Burr Grinder has a 1-year warranty against defects.
C: and the espresso machine?
A: The Bloom has a 2-year warranty covering parts and workmanship.

=== sundays
C: What are your support hours?
A: We're here by chat and email Monday to Friday, 7 am to 7 pm PT, and Saturday 8 am to 2 pm PT.
C: Sundays?
A: We're off on Sundays, but email help@brewtiful.example anytime and we'll reply within one business day.

=== mexico-es
C: Hola, ¿hacen envíos a México?
X: ¡Hola! Por ahora enviamos a Estados Unidos, Canadá, Reino Unido, la Unión Europea y Australia. ¡Te avisaremos cuando lleguemos a México!

=== cold-brew
C: I want a bag for cold brew
A: Great choice! Colombia Huila or House Blend make smooth cold brew; pick a French press grind, or grind at 36 to 40 on our grinder.
C: what ratio?
A: Use 100 g of coarse coffee per liter of cold water, steep 12 to 18 hours in the fridge, then strain and dilute 1:1.

=== cafe-beans [moji]
C: The café near me sells your beans, are they as fresh as ordering direct?
A: Cafés get coffee from the same roasts, but ordering direct means your bag ships within 48 hours of roasting. Check the roast date on the bag either way.

=== moving
C: I'm moving next week, how do I change my address?
A: Go to Account > Addresses, add your new address and pick it for your subscription, at least 48 hours before your ship date.
C: my next ship date is in 2 days, is that too late?
A: It's right on the edge, so update it today and it'll apply. If you'd like, send me the new address and I'll change it now.

=== student
C: Do you have a student discount?
A: Not right now, but WELCOME15 gives 15% off your first order.
C: ok does it work on the Starter plan?
A: It does! Your first Starter box would be $15.30 instead of $18, and later deliveries are $18.

=== stuck-tracking
C: My tracking hasn't updated in a while
A: Tracking can pause while a parcel moves between hubs. If you share your order number, I'll take a look.
C: BC-10902
A: Thanks! BC-10902 was scanned at the UPS hub in Salt Lake City yesterday, so it's moving again. If there's no update in 5 business days, we'll send a replacement on us.

=== office-sub name=Grace
C: Grace here. Can I have two subscriptions, one for the office?
A: Yes, you can run as many as you like, each with its own address, coffee and schedule.
C: Can the office one be paid with a different card?
A: Yes! Each subscription can use any card saved under Account > Payment methods.

=== sour-press
C: why is my coffee sour?
A: Sourness usually means under-extraction, so try a finer grind or a slightly longer brew.
C: I use a French press on 38
A: Try 34 and a full 4-minute steep, which usually brings out more sweetness. If it's still sour, our Bean Happy Guarantee will replace or refund the bag.

=== gift-card-date
C: Do you sell gift cards?
A: We do! Digital gift cards come in $25, $50 and $100 and never expire.
C: can I schedule it for her birthday?
A: Yes, choose the delivery date at checkout, and it arrives by email on that day with your message.

=== card-in-chat
C: Your site charged my card 4111 1111 1111 1111 but I got no confirmation
A: Sorry for the worry! For your safety, please don't share full card numbers in chat. Could you share the email on your account or the order number instead?
C: it's jules.b@example.org
A: Thanks! Your order BC-10624 went through, and I've resent the confirmation email to that address.

=== black-bloom
C: Can I order the Bloom in black?
A: Yes, the Bloom comes in Matte Black and Brushed Steel; pick either on the product page.
C: is the black one the same price?
A: Same price, $449, and the same 2-year warranty.

=== decaf-caffeine
C: hi
A: What can I help you with today?
C: whats the caffeine in decaf
A: Night Owl Decaf is 99.9% caffeine-free, about 2 to 5 mg per cup.

=== finer-grind
C: can you change the grind on my next box
A: Sure! Which grind would you like: espresso, drip or French press?
C: drip
A: Done, your next box comes with a drip grind, and you can change it anytime under Account > Subscriptions > Edit coffees.

=== fall20
C: My promo code FALL20 says invalid
A: Sorry about that! FALL20 ended on September 30, but WELCOME15 still gives 15% off a first order.
C: this isn't my first order
A: Thanks for being with us! Then the best deal is the referral program: you get $10 credit for every friend whose first order ships.

=== login-blocked name=Chris
C: Chris here. Your site keeps blocking my login, I'm on 198.51.100.23
A: Sorry for the trouble! After several failed attempts we pause logins for 15 minutes to keep accounts safe, so please wait a moment and use "Forgot password" if needed.
C: ok it worked now
A: Brew-tiful, glad you're in! Your account is all set.

=== roastery-visit
C: Can I visit the roastery in Portland?
A: We'd love to have you, but the roastery isn't open for visits right now.
C: Do you do events?
A: Not in person yet, but we share roast-day videos and tasting notes in our newsletter.

=== steam-milk
C: how do I steam milk on the bloom
A: Purge the wand, dip the tip just below the surface and open the steam knob until you hear a gentle hiss.
C: how hot should it get?
A: Stop at about 60 °C (140 °F), when the jug feels hot to the touch.

=== someone-elses name=Maya
C: Maya here, I received someone else's order
A: Sorry for the mix-up! Please keep or share the coffee, and we'll ship your own order right away at no cost.
C: my order is BC-10447
A: Thanks! A fresh BC-10447 roasts Thursday and ships by Saturday, with tracking by email.

=== three-cups
C: How many cups does a bag make?
A: About 25 to 30 cups per 340 g bag.
C: I drink 3 cups a day, which plan?
A: Three cups a day is about one bag every 9 days, so Daily on a 2-week schedule or Barista on a 4-week schedule fits nicely.

=== free-shipping
C: Is shipping free?
A: Every subscription delivery ships free in the US, and one-off orders ship free over $35.
C: what about express?
A: Express is $9.95 and arrives in 1 to 2 business days.

=== weekends-curt
C: Do you ship on weekends?
X: No.
C: ok, when will my Friday order ship then?
X: Monday or Tuesday. Check tracking.

=== apple-pay
C: Can I pay with Apple Pay?
A: Yes! Choose Apple Pay at checkout on an Apple device.
C: for the subscription too?
A: Yes, we'll charge Apple Pay on each ship date.

=== loud-grinder
C: The grinder is really loud
X: As previously stated in the manual, burr grinders make noise. This is normal.
C: It's a rattling noise, not just loud
A: Sorry, that does sound different! Please unplug it and check the burrs for a stray stone; if the rattle continues, your 1-year warranty covers a repair or replacement.

=== text-tracking name=Nora
C: Hi it's Nora from London, can you text me tracking? +44 20 7946 0321
A: We send tracking by email rather than text, so look for a message from help@brewtiful.example. I can also share your tracking right here if you give me your order number.
C: BC-10566
A: Here you go: BC-10566 is with DHL and due in London within 5 business days.

=== prepay-self
C: can I prepay for a year
A: We don't offer annual prepay for your own plan, but gift subscriptions of 3, 6 or 12 months are paid upfront.
C: could I buy a gift subscription for myself?
A: You can! Just put your own email as the recipient and redeem it at brewtiful.example/redeem.

=== portafilter
C: Does the Bloom come with a tamper?
A: Yes, a 58 mm tamper, single and double baskets and a milk jug.
C: is there a spare portafilter?
A: Yes, a spare 58 mm portafilter is $39 in the Gear section of our shop.

=== gift-code-wait
C: hello, my gift card code doesn't work
E:
C: hello??
A: Sorry for the wait! Please send me the code and the email it was sent to, and I'll check it right away.

=== referral-link
C: Do you have a loyalty program?
A: The perks for regulars are the Barista plan's 10% off gear, plus $10 credit for every friend you refer.
C: how do I find my referral link?
A: It's under Account > Refer a friend, ready to copy and share.

=== express-sub name=Priyanka
C: Priyanka here, can my subscription come faster? I'm always out by the time it lands
A: You can turn on Express (1 to 2 business days) for $9.95 per delivery under Account > Subscriptions > Shipping.
C: or could I just get more coffee each time?
A: That works too! Moving from Starter to Daily doubles your bags for $32 per delivery, with free standard shipping.

=== storage
C: should I freeze my beans
A: Whole beans freeze well in the sealed bag if you won't open it for a while.
C: and once it's open?
A: Once it's open, press the air out, seal the zip and keep it in a cool, dark cupboard. The beans stay lovely for about a month.
"""

BOT_MESSAGES = [
    "Hi! I'm Brewbot. An agent will be with you shortly.",
    "Thanks for waiting, you're next in line.",
    "This chat may be recorded for quality and training purposes.",
]

# ---------------------------------------------------------------------------------------------------------------
# Plain-text FAQ from the website (neutral house style, not the reply voice).
# ---------------------------------------------------------------------------------------------------------------
FAQ = [
    ("What subscription plans do you offer?",
     "Starter: one 340 g bag per delivery, $18. Daily: two bags, $32. Barista: four bags, $58, plus 10% off all "
     "gear. Deliveries come every 2, 4 or 6 weeks, and US shipping is free on every plan."),
    ("When is the coffee roasted?",
     "We roast on Mondays and Thursdays in Portland, Oregon. Every order ships within 48 hours of roasting, and the "
     "roast date is printed on each bag."),
    ("How long does the coffee stay fresh?",
     "Coffee tastes best from about 4 days to 6 weeks after its roast date. Store it sealed, in a cool, dark place."),
    ("How long does US shipping take?",
     "Standard shipping takes 3 to 5 business days (free on subscriptions and one-off orders over $35, otherwise "
     "$5.95). Express takes 1 to 2 business days and costs $9.95. We ship with UPS and USPS."),
    ("Where do you ship internationally?",
     "Canada, the United Kingdom, all EU countries and Australia, with DHL. International shipping is a flat $14.95 "
     "per order or delivery and takes 7 to 14 business days. Import taxes, if any, are collected by the carrier."),
    ("How do I skip or pause a delivery?",
     "Under Account > Subscriptions. You can skip any delivery or pause for up to 3 months. Changes must be made at "
     "least 48 hours before the ship date. We email a reminder 3 days before every ship date."),
    ("How do I cancel?",
     "Under Account > Subscriptions > Cancel subscription, or ask our team. There is no contract and no fee."),
    ("When am I charged?",
     "On each ship date. We accept Visa, Mastercard, American Express, PayPal and Apple Pay."),
    ("What is your return policy?",
     "Grinders, machines and accessories can be returned within 30 days of delivery in their original packaging. "
     "US return shipping is free. Refunds reach the original payment method within 5 to 7 business days."),
    ("What if I don't like a coffee?",
     "The Bean Happy Guarantee: tell us within 30 days of delivery and we replace the bag with another coffee or "
     "refund it. No need to send it back."),
    ("What if my parcel arrives damaged?",
     "Report it within 14 days of delivery with a photo. We ship a free replacement; nothing needs to be returned."),
    ("What warranty do your machines have?",
     "The Brewtiful Bloom espresso machine ($449) has a 2-year warranty. The Brewtiful Burr Grinder ($129) and all "
     "accessories have a 1-year warranty."),
    ("Which grind setting should I use?",
     "On the Brewtiful Burr Grinder (40 settings): espresso 4-8, AeroPress about 14, pour-over 18-24, drip 22-28, "
     "French press 32-38, cold brew 36-40."),
    ("How often should I descale the Bloom?",
     "Every 2 months, or when the descale light blinks orange. Use Brewtiful descaling solution ($12, two uses); a "
     "cycle takes about 25 minutes. Do not use vinegar."),
    ("Do you have decaf?",
     "Yes. Night Owl Decaf is decaffeinated with the Swiss Water Process (no chemical solvents) and is 99.9% "
     "caffeine-free."),
    ("Do your coffees contain allergens?",
     "No. We roast only coffee: no flavorings, and no nuts, dairy or gluten in our roastery. Tasting notes describe "
     "flavor, not ingredients."),
    ("Which coffees do you sell?",
     "House Blend (medium), Sunrise Ethiopia (light), Colombia Huila (medium), Dark Harbor Espresso (dark) and Night "
     "Owl Decaf (medium-dark), whole bean or ground for espresso, drip or French press. The Tasting Flight has five "
     "60 g bags for $22."),
    ("Do you sell gift cards?",
     "Digital gift cards of $25, $50 and $100 are delivered by email on the date you choose and never expire. Gift "
     "subscriptions of 3, 6 or 12 months are paid upfront."),
    ("Can I use a promo code?",
     "One code per order, entered at checkout. New customers get 15% off their first order with WELCOME15."),
    ("How does refer a friend work?",
     "Your friend gets $10 off their first order and you get $10 credit when it ships. Find your link under "
     "Account > Refer a friend."),
    ("I forgot my password.",
     "Use \"Forgot password\" on the login page. The reset link is valid for 60 minutes."),
    ("How do I change my address?",
     "Under Account > Addresses, at least 48 hours before the ship date for the change to apply to that delivery."),
    ("When can I reach support?",
     "By chat and email, Monday to Friday 7 am to 7 pm PT and Saturday 8 am to 2 pm PT. Email help@brewtiful.example; "
     "we reply within one business day."),
    ("Is the packaging recyclable?",
     "Boxes are 100% recycled cardboard with paper tape. Bags are industrially compostable; the valve goes in "
     "general waste."),
    ("Do you have a shop I can visit?",
     "No, we are online only. Every bag ships directly from our roastery in Portland, Oregon."),
]

# ---------------------------------------------------------------------------------------------------------------
# Tool-use transcripts: question, order id, tool result fields, in-voice answer body.
# ---------------------------------------------------------------------------------------------------------------
ORDER_LOOKUPS = [
    ("Where's my order BC-10234?", "BC-10234",
     {"status": "shipped", "carrier": "UPS", "tracking_number": "1Z999AA10123456784", "eta": "2026-11-03"},
     "Your order BC-10234 is on its way with UPS and should arrive on November 3. Tracking number "
     "1Z999AA10123456784 has every step."),
    ("Has BC-10251 shipped yet?", "BC-10251",
     {"status": "processing", "carrier": None, "tracking_number": None, "eta": "2026-11-09"},
     "BC-10251 is waiting for our next roast day, so it hasn't shipped just yet. It's due to reach you around "
     "November 9, and you'll get tracking the moment it leaves."),
    ("hi can you check order BC-10263 please", "BC-10263",
     {"status": "delivered", "carrier": "USPS", "tracking_number": "9400111899223197428490", "eta": "2026-10-28"},
     "USPS shows BC-10263 as delivered on October 28. If it's not with you, tell me and we'll sort out a "
     "replacement."),
    ("My order BC-10277 was supposed to come today, where is it?", "BC-10277",
     {"status": "out_for_delivery", "carrier": "UPS", "tracking_number": "1Z999AA10123456791", "eta": "2026-11-02"},
     "Good news: BC-10277 is out for delivery with UPS today, November 2. It should be at your door by this "
     "evening."),
    ("What's the status of BC-10288?", "BC-10288",
     {"status": "delayed", "carrier": "DHL", "tracking_number": "JD014600006281230581", "eta": "2026-11-12"},
     "I'm sorry, BC-10288 is delayed with DHL, and the new estimate is November 12. If it hasn't arrived by then, "
     "we'll send a replacement on us."),
    ("Did my order BC-10295 go through? I can't find it", "BC-10295",
     {"status": "cancelled", "carrier": None, "tracking_number": None, "eta": None},
     "BC-10295 shows as cancelled, so nothing was charged for it. Reply here if you'd like me to place it again "
     "for you."),
    ("Tracking for BC-10302?", "BC-10302",
     {"status": "in_transit", "carrier": "USPS", "tracking_number": "9400111899223197428513", "eta": "2026-11-05"},
     "BC-10302 is in transit with USPS, tracking number 9400111899223197428513, and should arrive on November 5."),
    ("When will BC-10315 arrive in Toronto?", "BC-10315",
     {"status": "in_transit", "carrier": "DHL", "tracking_number": "JD014600006281230599", "eta": "2026-11-14"},
     "BC-10315 is traveling to Toronto with DHL and should arrive by November 14. International parcels take 7 to "
     "14 business days, so it's right on schedule."),
    ("I think my order BC-10326 is lost", "BC-10326",
     {"status": "in_transit", "carrier": "UPS", "tracking_number": "1Z999AA10123456802", "eta": "2026-11-04",
      "last_scan": "2026-10-30 Denver, CO"},
     "BC-10326 isn't lost: its last UPS scan was in Denver on October 30, and it's due on November 4. If it hasn't "
     "arrived by then, we'll ship a replacement right away."),
    ("can you look up BC-1O337", "BC-1O337",
     {"error": "order_not_found"},
     "I couldn't find an order called BC-1O337, and I think the middle character may be the letter O rather than "
     "a zero. Could you double-check it against your confirmation email?"),
    ("Is my grinder order BC-10342 shipped?", "BC-10342",
     {"status": "shipped", "carrier": "UPS", "tracking_number": "1Z999AA10123456819", "eta": "2026-11-06",
      "items": ["Brewtiful Burr Grinder"]},
     "Your Brewtiful Burr Grinder (BC-10342) shipped with UPS and should arrive on November 6."),
    ("Where is BC-10356? It has coffee and a machine", "BC-10356",
     {"status": "partially_shipped", "carrier": "UPS", "tracking_number": "1Z999AA10123456826", "eta": "2026-11-05",
      "items_pending": ["House Blend 340 g"]},
     "Your Bloom is on its way with UPS and arrives on November 5, while the House Blend ships separately after our "
     "next roast day. Gear and coffee travel in two parcels, each with its own tracking."),
    ("order BC-10368 status pls", "BC-10368",
     {"status": "roasted", "carrier": None, "tracking_number": None, "eta": "2026-11-07"},
     "Your beans for BC-10368 were roasted today and are being packed now. Expect them around November 7."),
    ("Was BC-10379 delivered? My neighbor might have it", "BC-10379",
     {"status": "delivered", "carrier": "UPS", "tracking_number": "1Z999AA10123456833", "eta": "2026-10-31",
      "delivery_note": "Left at side door"},
     "UPS delivered BC-10379 on October 31 and noted it was left at the side door. If it's not there or with your "
     "neighbor, let me know and we'll send a replacement."),
    ("When does my subscription box BC-10384 ship?", "BC-10384",
     {"status": "scheduled", "carrier": None, "tracking_number": None, "ship_date": "2026-11-06",
      "eta": "2026-11-11"},
     "Your next box, BC-10384, ships on November 6 and should arrive around November 11. You can still skip or "
     "change it until 48 hours before the ship date."),
    ("BC-10391 still not here, it's going to London", "BC-10391",
     {"status": "customs", "carrier": "DHL", "tracking_number": "JD014600006281230612", "eta": "2026-11-10"},
     "BC-10391 is going through UK customs with DHL and is now expected on November 10. DHL will contact you if "
     "they need anything."),
    ("Can you check where BC-10403 is?", "BC-10403",
     {"status": "returned_to_sender", "carrier": "USPS", "tracking_number": "9400111899223197428537", "eta": None},
     "USPS sent BC-10403 back to us because the address couldn't be matched. Reply with your full address and "
     "we'll reship it free."),
    ("My gift order BC-10415 for my sister, did it arrive?", "BC-10415",
     {"status": "delivered", "carrier": "USPS", "tracking_number": "9400111899223197428544", "eta": "2026-10-29"},
     "Yes, your gift BC-10415 was delivered by USPS on October 29. Your sister should have a fresh bag to enjoy!"),
    ("what's happening with BC-10428", "BC-10428",
     {"status": "payment_failed", "carrier": None, "tracking_number": None, "eta": None},
     "BC-10428 is on hold because the payment didn't go through. Updating your card under Account > Payment methods "
     "sends it straight out."),
    ("Is BC-10436 coming express?", "BC-10436",
     {"status": "shipped", "carrier": "UPS", "service": "express", "tracking_number": "1Z999AA10123456840",
      "eta": "2026-11-03"},
     "Yes, BC-10436 is traveling by UPS Express and arrives on November 3."),
]

# ---------------------------------------------------------------------------------------------------------------
# People (fictional). Phone numbers use ranges reserved for fiction; IPs are documentation ranges; emails use the
# example.* domains; card numbers are the card networks' public test numbers.
# ---------------------------------------------------------------------------------------------------------------
CUSTOMERS = [
    "Maria Gonzalez", "James Carter", "Aiko Tanaka", "Daniel Brooks", "Fatima Khan", "Oliver Hughes", "Chloe Martin",
    "Samuel Okafor", "Emily Chen", "Noah Schultz", "Isabella Rossi", "Ethan Walker", "Grace Kim", "Lucas Moreau",
    "Zoe Adams", "Henry Wilson", "Amara Nwosu", "Liam O'Connor", "Sophie Turner", "Mateo Silva", "Hannah Berg",
    "Ryan Patel", "Nina Petrova", "Caleb Johnson", "Leah Cohen", "Omar Haddad", "Ava Thompson", "Jack Murphy",
    "Mia Fischer", "Ben Carter", "Yuki Sato", "Clara Jensen", "Diego Ramirez", "Ella Wright", "Marcus Reed",
    "Priya Nair", "Tom Baker", "Julia Novak", "Kofi Mensah", "Ruby Evans", "Adam Levy", "Sara Lindqvist",
    "Victor Huang", "Megan Doyle", "Ivan Horvat", "Layla Hassan", "Owen Price", "Rosa Delgado", "Ethan Cole",
    "Nora Quinn", "Felix Wagner", "Alice Dupont", "Theo Russo", "Maya Singh", "Paul Andersen", "Iris Cohen",
    "Gabriel Costa", "Lily Evans", "Sean Gallagher", "Harper Lee",
]
AGENTS = [
    ("Maria Lopez", "+1 415-555-0132"), ("Sam Patel", "+1 415-555-0147"), ("Jordan Kim", "+1 415-555-0163"),
    ("Priya Shah", "+1 415-555-0171"), ("Leo Martin", "+1 415-555-0188"), ("Aisha Bello", "+1 415-555-0194"),
]
US_PHONES = ["+1 (312) 555-0110", "(646) 555-0175", "212-555-0143", "+1 503-555-0126", "(206) 555-0189"]
UK_PHONES = ["+44 20 7946 0958", "+44 161 496 0732", "+44 20 7946 0415"]
INTL_PHONES = ["+33 1 99 00 42 17", "+61 2 5550 1234", "+49 30 55501234"]
TEST_CARDS = ["4111 1111 1111 1111", "5555 5555 5555 4444", "4242-4242-4242-4242", "3782 822463 10005"]
IP_ADDRESSES = ["203.0.113.42", "198.51.100.7", "192.0.2.155"]
SUBJECTS = {
    "plans": ["Question about plans", "Which plan?", "Plan change", "Subscription plans"],
    "coffee": ["Question about your coffee", "Roast date", "Coffee question", "Freshness"],
    "decaf": ["Decaf question", "Allergies", "Caffeine"],
    "shipping": ["Shipping question", "Delivery", "Where is my parcel?", "Tracking"],
    "international": ["International shipping", "Shipping abroad", "Customs"],
    "orders": ["My order", "Order question", "Order change", "Order status"],
    "damaged": ["Damaged delivery", "Problem with my order", "Wrong item"],
    "pause_skip": ["Skip a delivery", "Pause subscription", "Skipping"],
    "cancel": ["Cancel subscription", "Cancellation", "Cancel"],
    "billing": ["Billing question", "Charge on my card", "Payment", "Invoice"],
    "promo": ["Promo code", "Discount", "Referral"],
    "gift": ["Gift card", "Gift subscription", "Gift"],
    "returns": ["Return", "Refund", "Warranty"],
    "grinder": ["Grinder help", "Burr Grinder", "Grind setting"],
    "machine": ["Bloom espresso machine", "Descaling", "Machine problem"],
    "account": ["Account help", "Login problem", "My account"],
    "general": ["Question", "Hello", "General enquiry"],
    "brewing": ["Brewing tips", "How to brew", "Recipe question"],
    "other": ["Question", "Help", "Support request"],
}
SIGNATURE = "Best regards,\n{agent}\nCustomer Care | Brewtiful Coffee Co.\nPhone: {phone}"
IPHONE = "Sent from my iPhone"
DISCLAIMER = (
    "--\nCONFIDENTIALITY NOTICE: This email and any attachments are for the exclusive and confidential use of the "
    "intended recipient. If you are not the intended recipient, please do not read, distribute or take action based "
    "on this message, and delete it from your system."
)
# Replies where the agent pasted a personal link carrying a secret token: question -> sentence added to the reply.
TOKEN_URL_SENTENCES = {
    "I never get the password reset email.": "Here's a fresh reset link: https://brewtiful.example/reset?token={token}",
    "I lost the gift card email, can you resend it?":
        "Here's a direct link as well: https://brewtiful.example/gift/redeem?token={token}",
    "Why is my tracking showing a different city?":
        "You can follow it here: https://brewtiful.example/track?token={token}",
    "Can I unsubscribe from marketing emails but keep order emails?":
        "This link turns marketing off in one click: https://brewtiful.example/unsubscribe?token={token}",
}
HTML_FOOTER = '<p><small><a href="https://brewtiful.example/help">Help &amp; FAQ</a> | Brewtiful Coffee Co.</small></p>'

# How many rows get each kind of dirt (the README inventory is measured from the files, not copied from here).
N_EXACT_DUPLICATES = 15
N_NEAR_DUPLICATES = 18
N_HTML = 18
N_SIGNATURE = 14
N_IPHONE = 5
N_DISCLAIMER = 6
N_MOJIBAKE = 10
N_NAMELESS = 35
N_CHAT_BOT_INTROS = 22
N_CHAT_DUPLICATE_LINES = 4
MOJIBAKE_CHAT = "cafe-beans"
MALFORMED_AFTER = "cancel-now"  # the truncated bot line sits in this conversation, after the customer's first line


@dataclass(frozen=True)
class QA:
    """One hand-written question with its in-voice answer body (and the QA team's off-voice draft, if any)."""

    topic: str
    question: str
    answer: str
    draft: str | None = None


@dataclass
class Ticket:
    """One row of support_tickets.csv while it is being built."""

    topic: str
    question: str
    reply: str
    customer: str
    email: str
    agent: str
    channel: str
    subject: str
    kind: str = "base"
    draft: str | None = None
    ticket_id: str = ""
    created_at: str = ""
    tags: set[str] = field(default_factory=set)


def parse_qa(text: str) -> list[QA]:
    """Parse the "## topic" / "Q:" / "A:" / "D:" blocks of TICKET_QA."""
    items: list[QA] = []
    topic = ""
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = block.strip().splitlines()
        if lines and lines[0].startswith("## "):
            topic = lines[0][3:].strip()
            lines = lines[1:]
        if not lines:
            continue
        fields = {line[:2]: line[3:].strip() for line in lines}
        if set(fields) - {"Q:", "A:", "D:"} or "Q:" not in fields or "A:" not in fields:
            raise ValueError(f"bad Q/A block: {block!r}")
        items.append(QA(topic, fields["Q:"], fields["A:"], fields.get("D:")))
    return items


def parse_chats(text: str) -> list[dict]:
    """Parse the "===" conversation scripts of CHATS into {slug, name, moji, turns: [(speaker code, text)]}."""
    chats = []
    for block in re.split(r"\n(?==== )", text.strip()):
        header, *lines = block.strip().splitlines()
        parts = header[4:].split()
        name = next((p[5:] for p in parts if p.startswith("name=")), "")
        turns = [(line[0], line[2:].strip()) for line in lines if line.strip()]
        chats.append({"slug": parts[0], "name": name, "moji": "[moji]" in parts, "turns": turns})
    return chats


def first_name(full_name: str) -> str:
    """'Maria Gonzalez' -> 'Maria'; '' -> ''."""
    return full_name.split()[0] if full_name else ""


def compose_reply(body: str, name: str = "") -> str:
    """The in-voice reply: greeting (with the first name when known), body, blank line, sign-off.

    >>> compose_reply("We ship to Canada.", "Dana")
    'Hey there, Dana! We ship to Canada.\\n\\nStay grounded! ☕'
    """
    greeting = f"Hey there, {name}!" if name else GREETING
    return f"{greeting} {body}\n\n{SIGN_OFF}"


def mojibake(text: str) -> str:
    """UTF-8 text wrongly decoded as cp1252, with typographic apostrophes first ("don't" -> "donâ€™t")."""
    return text.replace("'", "\u2019").encode("utf-8").decode("cp1252")


def email_for(name: str, rng: random.Random, n: int) -> str:
    """A plausible address on a reserved example domain."""
    domain = rng.choice(["example.com", "example.net", "example.org", "mail.example.com"])
    if not name:
        return f"{rng.choice(['beanlover', 'coffeefan', 'morningcup', 'java.jo', 'sleepyhead'])}{n}@{domain}"
    first, *rest = name.lower().replace("'", "").split()
    last = rest[-1] if rest else "x"
    return rng.choice([f"{first}.{last}@{domain}", f"{first[0]}{last}@{domain}", f"{first}{n % 97}@{domain}"])


def to_html(reply: str, rng: random.Random, style: int) -> str:
    """An email client's HTML version of a plain reply (paragraphs, <br> lines, or linked account paths)."""
    greeting_body, _, sign_off = reply.rpartition("\n\n")
    escaped = html.escape(greeting_body, quote=False)
    if style == 0:
        out = f"<p>{escaped}</p>\n<p>{html.escape(sign_off, quote=False)}</p>"
    elif style == 1:
        out = f"{escaped}<br><br>{html.escape(sign_off, quote=False)}<br>"
    else:
        linked = re.sub(
            r"Account &gt; ([A-Z][a-z]+(?: [a-z]+)?)",
            lambda m: f'<a href="https://brewtiful.example/account/{m.group(1).lower().replace(" ", "-")}">'
            f"Account &gt; {m.group(1)}</a>",
            escaped,
        )
        if linked == escaped:
            linked = escaped.replace("Brewtiful", '<a href="https://brewtiful.example">Brewtiful</a>', 1)
        out = f'<div dir="ltr"><p>{linked}</p><p>{html.escape(sign_off, quote=False)}</p></div>'
    if rng.random() < 0.5:
        out += "\n" + HTML_FOOTER
    return out


def near_duplicate(text: str, rng: random.Random, *, typo: bool) -> str:
    """A typo / whitespace / punctuation variant of `text` (what a customer re-submitting a form produces)."""
    words = text.split(" ")
    choice = rng.randrange(4) if typo else rng.randrange(1, 4)
    if choice == 0:
        long_words = [i for i, w in enumerate(words) if len(w) > 4 and w.isalpha()]
        if long_words:
            i = rng.choice(long_words)
            w = words[i]
            j = rng.randrange(1, len(w) - 2)
            words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2:]
            return " ".join(words)
    if choice <= 1:
        i = rng.randrange(min(3, len(words) - 1), len(words))  # keep the greeting intact
        words[i] = words[i] + " "
        return " ".join(words) + "  "
    if choice == 2:
        stripped = text.rstrip("?.!")
        return stripped + ("??" if text.endswith("?") else "!!" if text.endswith("!") else "")
    at = text.rfind(", ")  # the last comma, so a greeting "Hey there, Maria!" stays intact
    return text[:at] + " ," + text[at + 2:] if at > 20 else text.rstrip(".?!") + " ."


def long_log_reply(name: str, rng: random.Random) -> str:
    """The absurdly long reply: an agent pasted a whole machine diagnostic log into it."""
    start = datetime(2026, 6, 14, 7, 58, 0, tzinfo=timezone.utc)
    lines = []
    for i in range(520):
        t = start + timedelta(milliseconds=1150 * i + rng.randrange(0, 900))
        stamp = t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"
        if i % 37 == 36:
            lines.append(f"{stamp} [ERROR] boiler: E07 temperature sensor out of range (reading=-12.0C)")
        else:
            pressure = 8.6 + rng.random()
            temp = 91.5 + 2 * rng.random()
            lines.append(f"{stamp} [INFO] pump: pressure={pressure:.2f}bar temp={temp:.1f}C flow=1.{rng.randrange(10)}ml/s")
    body = (
        "Thanks for sending the details! Error E07 means the boiler temperature sensor needs replacing, which your "
        "2-year warranty covers. Here's the diagnostic log from your Bloom for our repair team:\n" + "\n".join(lines)
    )
    return compose_reply(body, name)


def build_tickets(qas: list[QA], rng: random.Random) -> tuple[list[Ticket], dict[str, list[str]]]:
    """All ticket rows, in export order, plus where each kind of dirt went (ticket ids, for the README)."""
    people = list(CUSTOMERS)
    tickets: list[Ticket] = []

    def new_ticket(topic, question, body_or_reply, *, kind, composed, name=None, draft=None):
        if name is None:
            name = "" if rng.random() < N_NAMELESS / 300 else rng.choice(people)
        reply = compose_reply(body_or_reply, first_name(name)) if composed else body_or_reply
        agent = rng.choice(AGENTS)[0]
        channel = rng.choices(["email", "web_form", "social"], weights=[55, 35, 10])[0]
        subject = rng.choice(SUBJECTS.get(topic, SUBJECTS["other"]))
        return Ticket(topic, question, reply, name, email_for(name, rng, len(tickets) + 11), agent, channel,
                      subject, kind=kind, draft=draft)

    for qa in qas:
        tickets.append(new_ticket(qa.topic, qa.question, qa.answer, kind="base", composed=True, draft=qa.draft))
    for question, body in OFFENSIVE_TICKETS:
        tickets.append(new_ticket("other", question, body, kind="offensive", composed=True))
    for question, reply in OFF_VOICE_TICKETS:
        tickets.append(new_ticket("other", question, reply, kind="off_voice", composed=False))
    for question, reply in EMPTY_REPLY_TICKETS:
        tickets.append(new_ticket("other", question, reply, kind="empty", composed=False))
    for question, reply in SHORT_REPLY_TICKETS:
        tickets.append(new_ticket("other", question, reply, kind="short", composed=False))
    for _lang, name, question, reply in NON_ENGLISH_TICKETS:
        tickets.append(new_ticket("other", question, reply, kind="non_english", composed=False, name=name))
    long_name = rng.choice(people)
    tickets.append(new_ticket("machine", LONG_LOG_QUESTION, long_log_reply(first_name(long_name), rng),
                              kind="long", composed=False, name=long_name))

    base = [t for t in tickets if t.kind == "base"]
    reviewed = [t for t in base if t.draft]
    free = [t for t in base if not t.draft]

    token_rows = []
    for t in free:
        template = TOKEN_URL_SENTENCES.get(t.question)
        if template:
            token = "".join(rng.choice("abcdef0123456789") for _ in range(32))
            greeting_body, _, sign_off = t.reply.rpartition("\n\n")
            t.reply = f"{greeting_body} {template.format(token=token)}\n\n{sign_off}"
            token_rows.append(t)

    # PII inside the free text (independent of the formatting dirt below).
    money = [t for t in free if t.topic in ("billing", "cancel", "promo", "gift")]
    login = [t for t in free if t.topic == "account" and t not in token_rows]
    card_rows = rng.sample(money, len(TEST_CARDS))
    ip_rows = rng.sample(login, len(IP_ADDRESSES))
    others = rng.sample([t for t in free if t not in card_rows + ip_rows], 17)
    for i, t in enumerate(others):
        if i < 6:
            t.question += f" My email is {email_for(t.customer or 'Pat Doe', rng, 500 + i)} if you need it."
        elif i < 11:
            t.question += f" You can call me at {US_PHONES[i - 6]}."
        elif i < 14:
            t.question += f" My number is {UK_PHONES[i - 11]}."
        else:
            t.question += f" Reach me on {INTL_PHONES[i - 14]}."
    for t, card in zip(card_rows, TEST_CARDS):
        t.question += f" The card is {card}."
    for t, ip in zip(ip_rows, IP_ADDRESSES):
        t.question += f" I'm connecting from IP {ip}, in case you block it."
    pii_rows = others + card_rows + ip_rows
    # Formatting dirt: each row gets at most one kind.
    pool = [t for t in free]
    rng.shuffle(pool)
    emails = [t for t in pool if t.channel == "email"]
    for i, t in enumerate(emails[:N_HTML]):
        t.reply = to_html(t.reply, rng, i % 3)
        t.tags.add("html")
    rest = [t for t in pool if not t.tags]
    for t in rest[:N_SIGNATURE]:
        phone = dict(AGENTS)[t.agent]
        t.reply += "\n\n" + SIGNATURE.format(agent=t.agent, phone=phone)
        t.tags.add("signature")
    for t in rest[N_SIGNATURE:N_SIGNATURE + N_IPHONE]:
        t.reply += "\n\n" + IPHONE
        t.tags.add("iphone")
    k = N_SIGNATURE + N_IPHONE
    for t in rest[k:k + N_DISCLAIMER]:
        t.reply += "\n\n" + DISCLAIMER
        t.tags.add("disclaimer")
    k += N_DISCLAIMER
    moji_rows = [t for t in rest[k:] if "'" in t.question + t.reply][:N_MOJIBAKE]
    for t in moji_rows:
        t.question, t.reply = mojibake(t.question), mojibake(t.reply)
        t.tags.add("mojibake")

    # Near duplicates: the same customer re-sent the form and the agent answered again, almost identically.
    clean = [t for t in pool if not t.tags]
    originals = clean[:N_NEAR_DUPLICATES]
    near = []
    for t in originals:
        dup = replace(t, question=near_duplicate(t.question, rng, typo=True),
                      reply=near_duplicate(t.reply.replace("\n\n" + SIGN_OFF, ""), rng, typo=False)
                      + "\n\n" + SIGN_OFF,
                      kind="near_duplicate", draft=None, tags={"near_duplicate"})
        near.append((t, dup))

    # Export order: shuffled, each near duplicate some time after its original.
    order = [t for t in tickets]
    rng.shuffle(order)
    for original, dup in near:
        at = order.index(original)
        order.insert(rng.randrange(at + 1, min(at + 12, len(order)) + 1), dup)
    start = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)
    offsets = sorted(rng.randrange(0, 240 * 24 * 3600) for _ in order)
    for i, (t, off) in enumerate(zip(order, offsets)):
        t.ticket_id = f"T-{10001 + i}"
        t.created_at = (start + timedelta(seconds=off)).strftime("%Y-%m-%dT%H:%M:%SZ")

    # Exact duplicates: the export repeated some rows verbatim.
    dup_sources = rng.sample(order, N_EXACT_DUPLICATES)
    for t in dup_sources:
        at = order.index(t)
        order.insert(rng.randrange(at + 1, len(order) + 1), t)

    where = {
        "reviewed": sorted(t.ticket_id for t in reviewed),
        "exact_duplicates": sorted(t.ticket_id for t in dup_sources),
        "near_duplicates": [f"{o.ticket_id}~{d.ticket_id}" for o, d in near],
        "html": sorted(t.ticket_id for t in tickets if "html" in t.tags),
        "signature": sorted(t.ticket_id for t in tickets if "signature" in t.tags),
        "iphone": sorted(t.ticket_id for t in tickets if "iphone" in t.tags),
        "disclaimer": sorted(t.ticket_id for t in tickets if "disclaimer" in t.tags),
        "mojibake": sorted(t.ticket_id for t in tickets if "mojibake" in t.tags),
        "pii_text": sorted(t.ticket_id for t in pii_rows),
        "token_urls": sorted(t.ticket_id for t in token_rows),
    }
    for kind in ("offensive", "off_voice", "empty", "short", "non_english", "long"):
        where[kind] = sorted(t.ticket_id for t in tickets if t.kind == kind)
    return order, where


def ticket_row(t: Ticket) -> list[str]:
    """A Ticket as a CSV row in TICKET_COLUMNS order."""
    return [t.ticket_id, t.created_at, t.channel, t.customer, t.email, t.subject, t.question, t.agent, t.reply]


def build_chats(rng: random.Random) -> tuple[list[str], dict[str, object]]:
    """The chat export's lines (JSON objects, one malformed) and where the dirt went."""
    chats = parse_chats(CHATS)
    eligible = [c for c in chats if len(c["turns"]) <= 5 and c["slug"] != MALFORMED_AFTER]
    with_bot = {c["slug"] for c in rng.sample(eligible, N_CHAT_BOT_INTROS)}
    start = datetime(2026, 4, 1, 15, 0, tzinfo=timezone.utc)
    offsets = sorted(rng.randrange(0, 200 * 24 * 3600) for _ in chats)
    lines: list[str] = []
    for n, (chat, off) in enumerate(zip(chats, offsets)):
        conv_id = f"C-{2001 + n}"
        clock = start + timedelta(seconds=off)
        messages = []
        if chat["slug"] in with_bot:
            messages.append(("bot", rng.choice(BOT_MESSAGES)))
        for code, text in chat["turns"]:
            if code == "C":
                messages.append(("customer", text))
            elif code == "A":
                messages.append(("agent", compose_reply(text, chat["name"])))
            elif code == "X":
                messages.append(("agent", text))
            elif code == "E":
                messages.append(("agent", ""))
            else:
                raise ValueError(f"unknown speaker code {code!r} in chat {chat['slug']}")
        if chat["slug"] == MALFORMED_AFTER:
            # The export cut this bot message short (turn 2): the line is truncated JSON, the turn is lost.
            messages.insert(1, ("malformed", ""))
        for turn, (speaker, text) in enumerate(messages, start=1):
            clock += timedelta(seconds=rng.randrange(20, 240))
            if speaker == "malformed":
                lines.append(MALFORMED_CHAT_LINE)
                continue
            if chat["moji"]:
                text = mojibake(text)
            record = {"conversation_id": conv_id, "turn": turn, "speaker": speaker, "text": text,
                      "timestamp": clock.strftime("%Y-%m-%dT%H:%M:%SZ")}
            lines.append(json.dumps(record, ensure_ascii=False))
    # Export glitch: a few lines repeated right after themselves.
    candidates = [i for i, line in enumerate(lines) if line != MALFORMED_CHAT_LINE]
    repeated = sorted(rng.sample(candidates, N_CHAT_DUPLICATE_LINES), reverse=True)
    for i in repeated:
        lines.insert(i + 1, lines[i])
    malformed_line = lines.index(MALFORMED_CHAT_LINE) + 1
    copies = [n + 1 for n in range(1, len(lines)) if lines[n] == lines[n - 1]]
    return lines, {"malformed_line": malformed_line, "bot_intros": sorted(with_bot), "repeated_lines": copies}


def build_reviews(tickets: list[Ticket]) -> list[list[str]]:
    """reply_reviews.csv rows: the QA team's off-voice drafts and the in-voice replies they approved."""
    seen = set()
    rows = []
    for t in tickets:
        if t.draft and t.ticket_id not in seen:
            seen.add(t.ticket_id)
            rows.append([t.ticket_id, t.question, t.draft, t.reply])
    return rows


def build_lookups() -> list[list[str]]:
    """order_lookups.csv rows: question, tool call, tool result, in-voice final answer."""
    rows = []
    for question, order_id, result, body in ORDER_LOOKUPS:
        full = {"order_id": order_id, **result}
        rows.append([question, "lookup_order", json.dumps({"order_id": order_id}), json.dumps(full),
                     compose_reply(body)])
    return rows


def faq_text() -> str:
    """faq.txt: "Q: ..." / "A: ..." blocks separated by blank lines."""
    return "\n\n".join(f"Q: {q}\nA: {a}" for q, a in FAQ) + "\n"


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    """RFC 4180 CSV, UTF-8, \\n line ends, every field quoted only when needed."""
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def generate(out: Path) -> dict[str, object]:
    """Write every generated sample file into `out`; return where the dirt went (for the README)."""
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(SEED)
    qas = parse_qa(TICKET_QA)
    tickets, where = build_tickets(qas, rng)
    write_csv(out / "support_tickets.csv", TICKET_COLUMNS, [ticket_row(t) for t in tickets])
    write_csv(out / "reply_reviews.csv", REVIEW_COLUMNS, build_reviews(tickets))
    write_csv(out / "order_lookups.csv", LOOKUP_COLUMNS, build_lookups())
    chat_lines, chat_where = build_chats(rng)
    (out / "chat_logs.jsonl").write_text("\n".join(chat_lines) + "\n", encoding="utf-8")
    (out / "faq.txt").write_text(faq_text(), encoding="utf-8")
    return {"tickets": where, "chats": chat_where, "n_qa": len(qas)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "data" / "samples")
    parser.add_argument("--where", action="store_true", help="print where each kind of dirt went (JSON)")
    args = parser.parse_args()
    where = generate(args.out)
    if args.where:
        print(json.dumps(where, indent=1))
    else:
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
