"""Synthetic case files: many varied, valid cases for demos, screenshots and load tests.

`generate(n, seed, today)` yields (file name, text) pairs and writes nothing. The
same seed and `today` always give the same files: every choice comes from one
`random.Random(seed)`, and the clock is never read. Every file passes
`load_project` without a problem; tests/test_demo.py holds it to that.
"""
from __future__ import annotations

import json
import random
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from .model import ACCOMMODATION_KINDS, CHANNELS, FAULTS, SEVERITIES

# -- who -----------------------------------------------------------------------------

FIRST = (
    "Anna", "Ben", "Clara", "David", "Emma", "Felix", "Grace", "Hannah", "Isaac", "Julia", "Karl", "Laura",
    "Martin", "Nina", "Oliver", "Paula", "Quentin", "Rosa", "Simon", "Tara", "Uma", "Victor", "Wendy", "Xavier",
    "Yasmin", "Zack", "Aisha", "Bruno", "Carmen", "Dmitri", "Elena", "Farid", "Gemma", "Hugo", "Ingrid", "Jamal",
    "Kira", "Liam", "Maya", "Noah", "Olga", "Pedro", "Rahul", "Sofia", "Theo", "Ulrike", "Vera", "William",
    "Aoife", "Niamh", "Mehmet", "Katrin", "Lars", "Marta", "Omar", "Priyanka", "Ruth", "Stefan", "Tobias", "Wei",
)
LAST = (
    "Adams", "Berg", "Carter", "Dahl", "Evans", "Fischer", "Garcia", "Hansen", "Ivanova", "Jensen", "Keller",
    "Larsen", "Meyer", "Novak", "Olsen", "Petersen", "Quinn", "Richter", "Schmidt", "Thomsen", "Underwood",
    "Vogel", "Wagner", "Young", "Zimmermann", "Brennan", "Costa", "Dubois", "Eriksen", "Friedman", "Gallagher",
    "Horvat", "Ito", "Johansson", "Kowalski", "Lindgren", "Murphy", "Nielsen", "Okafor", "Patel", "Rossi",
    "Santos", "Tanaka", "Van Dijk", "Walsh", "Yilmaz", "Ahmed", "Baker", "Chen", "Doyle", "Engel", "Fox",
    "Graham", "Holm", "Kaur", "Lund", "Moreau", "Nowak", "Owusu", "Price",
)
# Names a mail merge or a slug must not mangle: diacritics, ø, æ, ł, þ, ð, ß.
FIRST_INTL = (
    "Zoë", "Søren", "Łukasz", "José", "Þóra", "Björn", "Chloé", "Jürgen", "Inês", "Siobhán", "Małgorzata",
    "Çağla", "Émile", "Ørjan", "Åsa", "Ülkü", "Dóra", "Renée", "François", "Jiří", "Željko", "Sigríður",
    "Ægir", "Gökhan", "Agnès", "Håkon", "Noémie", "Tomás", "Zdeněk", "Raphaël",
)
LAST_INTL = (
    "Müller", "Ødegaard", "Çelik", "Ærøskøbing", "Wiśniewska", "Jónsdóttir", "Ó Briain", "Nørgaard",
    "Strømberg", "Gonçalves", "Pérez", "Dvořák", "Şahin", "Öztürk", "Håkansson", "Sigurðardóttir", "Šimić",
    "Großmann", "Ærenlund", "Löfgren", "Núñez", "Kovačević", "Lefèvre", "Søndergård", "Bräuer",
    "Zieliński", "Þórsson", "Ó Súilleabháin", "Fernández", "Østergaard",
)
COMPANY_WORDS = (
    "Harbour", "Lindenhof", "Nordlys", "Mill Lane", "Riverside", "Kastanie", "Blåbær", "Old Customs",
    "Sommerfeld", "Dockside", "Grünwald", "Seagull", "Brygge", "Elm Street", "Lighthouse", "Café Øst",
)
COMPANY_FORMS = ("{w} Events GmbH", "{w} Kaffebar", "{w} Catering", "{w} & Co.", "Hotel {w}", "{w} Co-working",
                 "{l} Consulting", "{w} Kindergarten", "{l} & Partners", "{w} Gallery")
DOMAINS = ("example.com", "example.com", "example.com", "example.org", "example.net")
TIMEZONES = ("Europe/Berlin", "Europe/Copenhagen", "Europe/London", "Europe/Dublin", "Europe/Paris",
             "Europe/Madrid", "Europe/Lisbon", "Europe/Warsaw", "Europe/Stockholm", "Europe/Oslo",
             "Europe/Vienna", "Europe/Zurich", "Atlantic/Reykjavik", "Europe/Istanbul", "America/New_York")
# Customers who live far away (family abroad ordering for someone here, visitors back home).
TIMEZONES_FAR = ("America/Los_Angeles", "America/Chicago", "America/Toronto", "Asia/Tokyo", "Australia/Sydney",
                 "Asia/Singapore")
# Only these first names get a Ms/Mr (Frau/Herr) salutation; the others a first name or none.
FEMALE = frozenset(("Anna", "Clara", "Emma", "Grace", "Hannah", "Julia", "Laura", "Nina", "Paula", "Rosa", "Tara",
                    "Uma", "Wendy", "Yasmin", "Aisha", "Carmen", "Elena", "Gemma", "Ingrid", "Kira", "Maya", "Olga",
                    "Sofia", "Ulrike", "Vera", "Aoife", "Niamh", "Katrin", "Marta", "Priyanka", "Ruth", "Zoë", "Chloé",
                    "Inês", "Siobhán", "Małgorzata", "Åsa", "Renée", "Sigríður", "Agnès", "Noémie", "Þóra", "Dóra"))
MALE = frozenset(("Ben", "David", "Felix", "Isaac", "Karl", "Martin", "Oliver", "Quentin", "Simon", "Victor",
                  "Xavier", "Zack", "Bruno", "Dmitri", "Farid", "Hugo", "Jamal", "Liam", "Noah", "Pedro", "Rahul",
                  "Theo", "William", "Mehmet", "Lars", "Omar", "Stefan", "Tobias", "Søren", "Łukasz", "José",
                  "Björn", "Jürgen", "Émile", "Ørjan", "François", "Jiří", "Željko", "Ægir", "Gökhan", "Håkon",
                  "Tomás", "Zdeněk", "Raphaël"))
STREETS = ("Harbour Lane", "Mill Lane", "Elm Street", "Dock Street", "Kastanienallee", "Lindenstraße", "Havnegade",
           "Strandvejen", "Rosenweg", "Old Customs Road", "Brunnenstraße", "Seaview Terrace")
TOWNS = ("20457 Hamburg", "22767 Hamburg", "22763 Hamburg", "20099 Hamburg", "21073 Hamburg", "22609 Hamburg")
PHONE_PREFIXES = ("+49 30", "+49 40", "+45", "+44 20", "+353 87", "+33 6", "+48 22", "+46 8", "+47", "040", "0171")
# Only `de` has its own email templates; the others fall back to the default set.
OTHER_LANGUAGES = ("da", "fr", "sv", "pl", "es", "nl", "pt", "nb")

OWNERS = ("Ana Souza", "Priya Nair", "Tom Becker", "Jonas Lind", "Lena Vogt", "Kwame Mensah")
DRIVERS = ("Malik", "Greta", "Rui", "Hamza", "Sanne")
BAKERS = ("Ines", "Ole", "Marta", "Yusuf", "Birte")

# -- what ----------------------------------------------------------------------------

ITEMS = (
    "sourdough loaves", "rye loaves", "cinnamon buns", "cardamom buns", "butter croissants", "birthday cake",
    "wedding cake", "lemon tarts", "brownies", "sandwich platters", "vegan lunch boxes", "gluten-free loaf",
    "spinach quiches", "espresso beans", "focaccia", "apple strudel", "carrot cake", "baguettes",
    "pretzel basket", "pastry box", "cheese scones", "almond croissants", "rhubarb crumble", "spelt rolls",
)
EVENTS = ("wedding", "birthday party", "office lunch", "conference", "christening", "retirement party",
          "board meeting", "school fête", "book launch", "anniversary dinner", "team breakfast", "gallery opening")
PLACES = ("the harbour office", "the old customs house", "the community hall", "the riverside hotel",
          "the co-working space on Dock Street", "the town hall", "the gallery on Mill Lane", "the sailing club",
          "the school on Elm Street", "the brewery loft", "our counter on Harbour Lane", "the market stall")
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
TEAMS = ("Delivery", "Bakery", "Kitchen", "Front of house", "Online orders", "Catering", "Accounts", "Wholesale")

CAME_IN = {"email": "wrote", "phone": "called", "letter": "sent a letter", "in-person": "came to the counter",
           "social": "posted about it", "chat": "opened a chat"}

STATUS_TABLE = (("open", 12), ("reopened", 3), ("resolved", 50), ("recovered", 20), ("lost", 15))
# Weights in the order of the model's lists; zip(strict) fails loudly if a list grows.
CHANNEL_TABLE = tuple(zip(CHANNELS, (30, 25, 6, 17, 8, 14), strict=True))
FAULT_TABLE = tuple(zip(FAULTS, (55, 13, 17, 15), strict=True))
SEVERITY_TABLE = tuple(zip(SEVERITIES, (30, 40, 22, 8), strict=True))
KIND_TABLE = tuple(zip(ACCOMMODATION_KINDS, (18, 28, 14, 18, 15, 7), strict=True))
# Follow-up kinds of config.DEFAULT_PLAN (and of the shipped amends.yaml), plus the two tasks.
PLAN_KINDS = ("apology", "gift-card", "explanation", "thanks")
SKIPPABLE = PLAN_KINDS + ("call", "letter")


@dataclass(frozen=True)
class Category:
    """One kind of complaint: the words its cases are made of."""

    name: str
    teams: tuple[str, ...]
    tags: tuple[str, ...]
    titles: tuple[str, ...]
    happened: tuple[str, ...]
    found: tuple[str, ...]
    wrong: tuple[str, ...]
    fix: tuple[str, ...]
    prevent: tuple[str, ...]
    quotes: tuple[str, ...]
    lessons: tuple[str, ...]
    promises: tuple[str, ...]
    # About an order (most are); the order-related filler sentences fit only these.
    orders: bool = True


CATEGORIES = (
    Category(
        "Delivery problem", ("Delivery", "Wholesale", "Online orders"), ("delivery", "late", "route", "driver"),
        ("{Item} delivered {late} minutes late", "{Item} left at the wrong address", "Standing order of {item} arriving after opening",
         "Delivery for the {event} at {place} missed its slot", "Half of the {item} missing from the {day} delivery"),
        ("The order left the bakery on time but went out on the regular run with five other drops instead of its own trip.",
         "Our driver {driver} waited at the bridge for twenty minutes and then took the long way round through the market streets.",
         "The delivery note still carried the old address, so the crates went to {place} first.",
         "Two crates stayed behind on the loading bay because the van was packed in the wrong order."),
        ("The route plan showed the drop at {time}, but nobody had checked it against the new winter timetable.",
         "The van was loaded in the old drop order, so the first drop came out of the back last."),
        ("The {item} went out on a shared delivery run instead of a dedicated trip and arrived {late} minutes after the agreed time.",
         "Your address was out of date on our delivery note, so the driver went to the old address first.",
         "Part of your order was left behind on our loading bay when the van was packed."),
        ("We refunded the delivery charge and {owner} drove the missing items over the same afternoon.",
         "We credited the delivery charges and moved your drop to the start of the early route.",
         "We sent a fresh batch on a dedicated trip within two hours and refunded the delivery fee."),
        ("Timed deliveries now always travel on their own trip, leaving at least 90 minutes before the agreed time.",
         "Delivery addresses are now confirmed by phone the day before every booked delivery.",
         "Vans are now loaded in drop order and the driver ticks off every crate before leaving."),
        ("We had a room full of guests and nothing to serve them.", "I have to open at seven, and the bread came at half past.",
         "The driver was friendly, but friendly does not fill my shelves.", "Three late mornings in a fortnight is not bad luck any more."),
        ("A timed delivery is never one more drop on a route.", "Check the route against the timetable whenever the timetable changes.",
         "Load the van in drop order, every morning, checked by the driver."),
        ("Call back with the driver's report", "Move the drop to the start of the early route", "Ride along on the route and report the timings"),
    ),
    Category(
        "Product quality", ("Bakery", "Kitchen"), ("quality", "bread", "pastry", "stale"),
        ("Stale {item} on the {day} order", "Underbaked {item} at the counter", "{Item} burnt on the bottom",
         "Dry {item} for the {event}", "{Item} collapsed before serving"),
        ("The {item} came from the second bake, which sat on the cooling racks longer than it should have.",
         "{baker} was covering the early shift alone and the oven ran hot for most of the morning.",
         "The batch looked fine on top, but the bottoms were dark and bitter once they were cut.",
         "The dough had been proved overnight in the warm corner of the bakery and lost its structure."),
        ("The oven log shows the middle deck running 15 degrees hot since the last service.",
         "The batch was baked the afternoon before and packed the next morning as if it were fresh."),
        ("The {item} you received came from a batch that was baked too long ago and should not have left the bakery.",
         "One of our ovens was running too hot and we did not catch it before your order was packed.",
         "The dough for your {item} was proved for too long, so it did not hold its shape."),
        ("We baked a fresh batch the same morning and delivered it free of charge.",
         "We refunded the batch in full and {baker} baked a replacement for the next morning.",
         "We credited your account for the batch and checked the next three deliveries ourselves."),
        ("The ovens are now checked with a probe thermometer at the start of every shift.",
         "Only same-day bakes now go into delivery crates; the rest goes to the day-old shelf.",
         "Every batch is now cut and tasted by the shift lead before it is packed."),
        ("The crust was like cardboard. My customers noticed before I did.", "It looked lovely and tasted of nothing but smoke.",
         "I have bought your bread for years, and this was the first time I threw a loaf away."),
        ("Taste what we sell, every batch.", "Calibrate the ovens after every service, not when someone complains.",
         "Day-old bread is fine on the day-old shelf, never in a crate."),
        ("Send a fresh batch tomorrow morning", "Check the oven calibration and report back", "Taste-test the next three deliveries"),
    ),
    Category(
        "Wrong order", ("Front of house", "Online orders", "Bakery"), ("wrong-item", "order", "counter"),
        ("{Item} handed over instead of the order", "Birthday cake iced with the wrong name", "Wrong fillings in the {event} sandwiches",
         "{Item} swapped with another customer's order", "Order for the {event} short of {qty} portions"),
        ("Two orders for the same pick-up time sat next to each other on the shelf with only a first name on each.",
         "The order slip said one thing and the icing card said another, and nobody compared them.",
         "The counter was three deep at {time} and the order was handed over without reading the slip back.",
         "The online form sent the note about the fillings to a field the kitchen does not print."),
        ("The order slip and the icing card were written by two different people from the same phone call.",
         "Our order system showed the correct items, but the printed slip was from an earlier version of the order."),
        ("Your order was mixed up with another customer's at the counter, so you took home the wrong {item}.",
         "The details you gave us were copied onto the kitchen slip incorrectly.",
         "The change you made to your order did not reach the kitchen, which worked from the old slip."),
        ("We made the correct order straight away and {owner} brought it to you before the {event}.",
         "We refunded the order and gave you a voucher for your next visit.",
         "We replaced the order the same day and refunded the difference in price."),
        ("Every order is now read back to you at pick-up, with the name and the items.",
         "Icing cards are now printed from the order system instead of written by hand.",
         "The kitchen slip is now reprinted automatically whenever an order is changed."),
        ("My daughter is called Maja, not Maria. She cried.", "I ordered vegetarian and got ham. Twice.",
         "Somebody else is probably eating my cake right now."),
        ("Read every order back at the counter.", "One source of truth for each order: the order system.",
         "A changed order must reach the kitchen as a new slip."),
        ("Bring the correct order before the {event}", "Refund the difference in price", "Send a new slip format for review"),
    ),
    Category(
        "Allergen or labelling", ("Kitchen", "Bakery"), ("allergen", "label", "nuts", "gluten-free"),
        ("{Item} labelled nut-free contained hazelnut", "Gluten-free label missing from {item}", "Allergen sheet out of date for {item}",
         "Vegan {item} made with butter", "Sesame not listed on the {item} label"),
        ("The recipe changed in spring, but the printed label in the shop still showed the old ingredients.",
         "The same tray was used for the {item} and the hazelnut brownies without being washed in between.",
         "A new supplier's flour blend contains traces of sesame, and the allergen sheet was not updated.",
         "The label printer had the wrong template loaded for most of the {day} shift."),
        ("The allergen sheet on the counter was printed in March and nobody owned keeping it up to date.",
         "The product card in the till still pointed to the recipe from last year."),
        ("The label on your {item} did not match the recipe we now use, and it missed an allergen.",
         "A tray used for another product was not cleaned before we baked your {item} on it.",
         "Our allergen sheet had not been updated after we changed a supplier."),
        ("We apologised straight away, refunded the purchase and paid the pharmacy bill.",
         "We withdrew the product from sale the same day and checked every label in the shop.",
         "{owner} met you in person to walk through what happened and what we changed."),
        ("Labels are now printed from the recipe system, so a recipe change updates the label the same day.",
         "Allergen products now have their own trays, marked in red, and never share a baking sheet.",
         "Every supplier change now triggers a review of the allergen sheet before the first bake."),
        ("My son has a nut allergy. The label said nut-free. We spent the evening in A&E.",
         "I trusted the label because that is what labels are for.", "Gluten-free has to mean gluten-free, every time."),
        ("An allergen label is a promise about someone's health.", "One owner for the allergen sheet, named on the sheet.",
         "Separate trays for allergen-free bakes, always."),
        ("Send the corrected allergen sheet", "Check every label in the shop against the recipes", "Confirm the tray separation in writing"),
    ),
    Category(
        "Billing", ("Accounts", "Online orders"), ("billing", "invoice", "card", "refund"),
        ("Card charged twice for one order", "Invoice for the {event} includes extra platters", "Refund for the {item} never arrived",
         "Standing order invoiced at the old price", "Delivery fee charged on a collection order"),
        ("The card terminal timed out at {time} and the order was charged again when it was retried.",
         "The catering invoice listed the platters from the draft quote instead of the final order.",
         "The refund was approved but sat in the payment provider's queue because a reference was missing.",
         "The price change for standing orders was applied a month early by the accounts software."),
        ("The payment log shows two captures ninety seconds apart for the same order number.",
         "The invoice template pulled its lines from the quote, not from the confirmed order."),
        ("Your card was charged twice because our terminal retried a payment it had already taken.",
         "Your invoice was built from our first quote, not the order you confirmed.",
         "Your refund was held up on our side because a reference was missing."),
        ("We refunded the second charge the same day and sent you the confirmation from the payment provider.",
         "We reissued the invoice with the confirmed items and credited the difference.",
         "We pushed the refund through by hand and added a small credit for the wait."),
        ("The terminal now checks for an existing payment before it retries.",
         "Invoices are now built only from the confirmed order, never from a quote.",
         "Every refund now gets a reference automatically and is checked at the end of the week."),
        ("I should not have to chase a bakery for my own money.", "Forty euros is forty euros. Please check your invoices.",
         "The refund was promised three weeks ago."),
        ("Check the payment log before telling a customer the charge is fine.", "Invoices come from orders, not quotes.",
         "A refund is not done until the money has arrived."),
        ("Send the payment provider's confirmation", "Reissue the invoice", "Confirm the refund has arrived"),
    ),
    Category(
        "Service", ("Front of house", "Catering"), ("service", "staff", "queue", "counter"),
        ("Rude reply at the counter during the {time} rush", "Twenty-five-minute queue for a coffee", "Phone call about the {item} never returned",
         "Customer ignored at the counter", "Complaint about the {event} dismissed by staff"),
        ("The café was a person short and the queue reached the door by {time}.",
         "The espresso machine went down for twenty minutes and nobody told the people waiting.",
         "The message was taken on a sticky note that fell behind the till.",
         "A new member of staff answered the complaint with a shrug and a joke."),
        ("The rota had one person on the counter during the busiest hour of the week.",
         "There was no routine for telling a queue that something had gone wrong."),
        ("We were short-staffed and did not tell you why you were waiting, which made a long wait worse.",
         "Your message was written down but never passed on, so nobody called you back.",
         "One of our team answered your concern in a way that was dismissive, and that is not how we want to treat anyone."),
        ("{owner} called you to apologise in person and invited you back as our guest.",
         "We apologised, refunded your order and talked the matter through with the team.",
         "We sent a written apology and a gift card for your next visit."),
        ("The busiest hours now always have two people on the counter.",
         "Messages are now logged in the case system, not on paper, and checked every afternoon.",
         "Every new member of staff now learns how we handle complaints in their first week."),
        ("I was made to feel like a nuisance for asking a simple question.", "Nobody said a word. We just stood there.",
         "I called twice and left my number twice."),
        ("Tell the queue what is going on, always.", "A message that is not written down in the system is lost.",
         "Complaints are a chance, not an attack; we train for that."),
        ("Call back personally", "Talk the matter through with the team and report back", "Send the new rota"),
        orders=False,
    ),
    Category(
        "Food safety", ("Kitchen", "Bakery"), ("food-safety", "hygiene", "foreign-object"),
        ("Hair in a {item}", "Plastic found in the {item}", "{Item} sold past its use-by date",
         "Mould on the {item} the day after purchase", "Cold chain broken on the {event} platters"),
        ("The hairnets had run out on the early shift and a replacement box was still in the van.",
         "A piece of a broken scraper went into the dough mixer without anyone noticing.",
         "The shelf was not checked at opening, so yesterday's {item} stayed on sale.",
         "The platters sat in the van for an hour with the cooling unit switched off."),
        ("The opening checklist for the chilled shelf had not been signed for four days.",
         "The scraper had a crack that was reported a week earlier but never replaced."),
        ("A hygiene rule was not followed on the shift that baked your {item}, and it should have been.",
         "We sold you the {item} after the use-by date, because our opening check was missed.",
         "The platters were not kept cold enough on the way to your {event}."),
        ("We refunded the order, apologised and reported the matter to our food safety adviser.",
         "We withdrew the batch, replaced the order and showed you the cleaning records.",
         "{owner} visited you with a replacement and the findings of our check."),
        ("Hairnets and gloves are now stocked in two places and checked at every shift change.",
         "Cracked tools are now replaced the same day and logged in the maintenance book.",
         "The chilled shelf is now checked and signed at opening and at noon."),
        ("I found it on the second bite.", "I posted the photo because I did not know what else to do.",
         "We had to throw the whole tray away in front of our guests."),
        ("Hygiene rules only work if the supplies are there.", "Report it and replace it the same day.",
         "A checklist nobody signs is no checklist."),
        ("Send the cleaning records", "Share the food safety adviser's findings", "Replace the batch"),
    ),
    Category(
        "Catering event", ("Catering", "Delivery", "Kitchen"), ("catering", "event", "portions"),
        ("Short of vegan portions at the {event}", "Hot food cold at the {event}", "Catering for the {event} arrived without cutlery",
         "{Event} buffet set up after the guests arrived", "Canapés for the {event} ran out in twenty minutes"),
        ("The order asked for 40 portions with 12 vegan, but the kitchen list showed only 4 vegan.",
         "The hot boxes were packed an hour early so the driver could make another drop on the way.",
         "The cutlery crate was on the checklist but the checklist stayed in the office.",
         "The team arrived at {place} at {time}, when the guests were already at the tables."),
        ("The kitchen list was typed from the first enquiry, not from the confirmed order.",
         "The set-up time in the booking was the start of the event, not the time the room opened to us."),
        ("The kitchen worked from an early version of your order and made too few of the portions you asked for.",
         "Your hot food was packed too early and was no longer warm when it reached you.",
         "Our team arrived later than your guests, so the buffet was not ready in time."),
        ("We refunded the missing portions and {owner} sent a fresh tray within the hour.",
         "We refunded a third of the catering bill and apologised to you and your guests.",
         "We offered a discount on your next event and agreed a new set-up plan together."),
        ("Every event order is now confirmed back to you in writing, portion by portion.",
         "Hot food now leaves the kitchen no earlier than 30 minutes before serving.",
         "Set-up times are now agreed with the venue directly, with a 45-minute buffer."),
        ("Half of my vegan colleagues ate bread rolls for lunch.", "We were embarrassed in front of our most important clients.",
         "The food was lovely, when it finally came."),
        ("Confirm portions in writing, every event.", "Hot food travels last and fast.", "Agree set-up times with the venue, not just the host."),
        ("Send the written event confirmation", "Agree the set-up plan for the next event", "Refund the missing portions"),
    ),
    Category(
        "Accessibility", ("Front of house",), ("accessibility", "entrance", "seating"),
        ("Letter about the high step at the café entrance", "No space for a wheelchair at the tables", "Menu not readable for a customer with low vision",
         "Ramp blocked by delivery crates", "Accessible toilet used as a store room"),
        ("The ramp was blocked by crates from the morning delivery until {time}.",
         "The tables had been moved closer together for the {event} and never moved back.",
         "The only large-print menu had gone missing weeks ago.",
         "The accessible toilet was full of chairs after a weekend event."),
        ("Nobody owned checking the ramp and the toilet after deliveries and events.",
         "The floor plan for events never included a space for wheelchairs."),
        ("The ramp at our entrance was blocked, so you could not get in without help.",
         "Our tables were set too close together for you to get through.",
         "We did not have a readable menu for you, which we should always have."),
        ("We apologised, cleared the ramp and changed where the crates are left.",
         "{owner} invited you back and reserved an accessible table for your next visit.",
         "We printed new large-print menus and sent you one at home."),
        ("The ramp and the accessible toilet are now checked at opening and after every delivery.",
         "The floor plan now keeps two tables wheelchair-accessible at all times.",
         "Large-print menus are now kept at the till and counted every Monday."),
        ("I should not have to ask strangers to lift me in.", "I have been coming here for years and I cannot get to my usual table.",
         "Please think about people like me when you move furniture."),
        ("Accessible means accessible every hour, not only on opening day.", "Check the ramp after every delivery.",
         "Ask customers with access needs what works for them."),
        ("Reserve an accessible table", "Send a large-print menu", "Report back on the new entrance routine"),
        orders=False,
    ),
    Category(
        "Online ordering", ("Online orders",), ("online", "website", "checkout", "app"),
        ("Online order for {item} never confirmed", "Pick-up slot double-booked at {time}", "Online shop showed {item} in stock when it was sold out",
         "Voucher code refused at checkout", "Order confirmation email sent to the wrong address"),
        ("The online shop took the order, but the confirmation email bounced because of a typing error in the address field.",
         "The stock count for the {item} was only updated at closing time, so the shop kept selling it.",
         "The pick-up slots were not capped, so six orders were promised for the same ten minutes.",
         "The voucher was issued in the old till system and never imported into the online shop."),
        ("The [order system](https://example.com/orders/{order}) shows the order as paid but never sent to the kitchen printer.",
         "The stock sync between the till and the online shop had been failing silently since {day}."),
        ("Our online shop accepted your order but did not pass it on to the kitchen.",
         "Our website showed the {item} as available when we had already sold out.",
         "Your voucher was not set up in our online shop, so checkout refused it."),
        ("We made your order by hand and delivered it free of charge.",
         "We refunded the order and added the voucher value as credit on your account.",
         "We called you as soon as we saw the problem and offered a new slot with a discount."),
        ("The shop now alerts us if an order has not reached the kitchen printer within five minutes.",
         "Stock now syncs between the till and the shop every ten minutes.",
         "Pick-up slots are now capped at three orders per ten minutes."),
        ("The website said confirmed. Nothing was confirmed.", "I paid online so that I would not have to queue.",
         "It would be nice if your shop knew what you have in the shop."),
        ("Every paid order must reach the kitchen, with an alert when it does not.", "One stock count for the till and the website.",
         "Test the checkout with real vouchers after every change."),
        ("Deliver the order by hand", "Credit the voucher value", "Confirm the stock sync is fixed"),
    ),
)

# -- the body ------------------------------------------------------------------------

HEADINGS = ("## What happened", "## In the customer's words", "## What we found", "## Lessons")
STILL_TO_DO = "## Still to do"

# Sentences that fit any complaint; the *_ORDER ones only those about an order.
HAPPENED_ANY = (
    "{first} had been a customer for a while and knew most of the team by name.",
    "It was a busy week: the {event} season had started and the bakery was running two extra shifts.",
    "By the time anyone noticed, {first} had been waiting for a proper answer for most of the day.",
    "{first} tried to reach us by phone first, but the line was busy for most of the morning.",
    "When {owner} picked up the case, the customer had been waiting for an answer for almost a day.",
    "The same week, two members of the team were off sick and the rota had been rearranged twice.",
    "Nothing about the day was unusual, which is exactly why nobody looked twice.",
    "The first we heard of it was a message at {time}, written in capital letters.",
    "{first} was calm on the phone, but clearly disappointed, and asked for an explanation rather than money.",
    "For a regular customer like {first}, this was not the first small slip, and it tipped the balance.",
    "On the day, everything that could go wrong in the last hour did go wrong.",
    "Our shift lead was on the phone with another customer when the problem came up.",
    "The mistake was small on paper and large for the customer, which is how most of our complaints look.",
    "A temporary worker was helping out that day and had not been shown our routines yet.",
    "{first} mentioned that a friend had had a similar experience with us a few weeks earlier.",
    "At first we thought it was a misunderstanding, and we said so, which did not help.",
    "{first} gave us a clear, detailed account and asked what we would do to stop it happening again.",
    "We were slow to reply: the message sat in the shared inbox over the weekend.",
    "{owner} took the case over on the second day and called {first} within the hour.",
    "Nobody on shift felt able to make a decision, so the customer was told to call back later.",
    "The café was full that morning, with a queue to the door from {time} onwards.",
    "{first} had come in on {day} with a friend, which made the whole thing more embarrassing for both of them.",
)
HAPPENED_ORDER = (
    "{first} placed the order on {day} for {qty} people and asked for everything to be ready by {time}.",
    "The order itself was straightforward, and we had made the same thing for {first} several times before.",
    "At the counter the order looked complete, and nobody thought to open the boxes and check.",
    "By the time anyone noticed, {first} had already told the guests that the food was on its way.",
    "The weather did not help: heavy rain slowed every delivery in the old town that morning.",
    "The {item} had been ordered well in advance, with a note about the timing underlined twice.",
    "{driver} was on the route that morning and remembers the drop, but not the crates being short.",
    "We only learned the full story after {first} sent photos of what had arrived.",
    "The {event} went ahead, but with a gap on the table where our {item} should have been.",
    "It was the third order that week for {place}, and the first two had gone without a hitch.",
    "{baker} had started at four that morning and was finishing a large wholesale batch at the same time.",
    "We had also just changed the layout of the packing area, so the shelves were not where people expected them.",
)
FOUND_ANY = (
    "Looking back through the case history, the warning signs were there a few days earlier.",
    "{owner} went through the notes and the messages with the team the next morning.",
    "No single person made a big mistake; several small ones lined up on the same day.",
    "The checklist that should have caught it exists, but it was not used on that shift.",
    "When we asked the team, two people said they had seen something similar in the past month.",
    "The customer's account of events matched ours in every detail that mattered.",
    "We could not find the original note, which is itself part of the problem.",
    "The same pattern appears in two earlier cases in this category, both closed without a lasting fix.",
    "None of this was visible to the customer, who only saw the result.",
    "It took us longer than it should have to answer, because nobody was clearly responsible for the case.",
    "The fix itself is cheap; the hard part is making it a habit on a busy morning.",
    "We shared what we found with the whole team at the Friday meeting and asked for ideas.",
    "The staff involved were open about what happened, which made the review quick.",
    "Most of the delay came from handovers between shifts, not from the work itself.",
    "Our own records were incomplete, so we relied on the customer's timeline for part of the day.",
    "The cost of putting it right was small next to what the customer spends with us in a year.",
    "Several of us had assumed someone else had already called the customer back.",
    "We timed the same steps the following week and found the slack had gone from the morning schedule.",
    "The routine we had written down a year ago did not match what the team actually did any more.",
    "Everyone we spoke to agreed on what had happened; nobody had thought it was their job to act.",
)
FOUND_ORDER = (
    "A photo from the packing table, taken at {time}, shows the order as it left the bakery.",
    "We also checked whether other customers had been affected the same day; two had, and neither had complained.",
    "The order form allows the mistake, so we would make it again without a change to the form.",
    "The delivery log and the order slip disagree by one line, and nobody compared them before the van left.",
)
FAULT_LINES = {
    "ours": "This one is clearly on us: the customer did everything right and we did not.",
    "customer": "Strictly, the mistake started with the customer's order, but our process could have caught it.",
    "shared": "The fault is shared: the order was unclear, and we did not ask when we should have.",
    "unclear": "We could not establish exactly where it went wrong, so we treated it as our fault.",
}
LINKS_ANY = (
    "The full case notes are in the [case log](https://example.com/cases/{order}).",
    "See the [photos from the customer](https://example.com/cases/photos/{order}) for what they saw.",
    "Our [complaints guide](https://example.com/handbook/complaints) covers the steps we skipped.",
    "The team's notes from the review are on the [staff wiki](https://example.com/wiki/review-{order}).",
)
LINKS_ORDER = (
    "The full order is in the [order system](https://example.com/orders/{order}).",
    "The driver's notes are in the [delivery log](https://example.com/deliveries/{order}).",
    "The [route plan](https://example.com/routes/{qty}) shows the drop order for that morning.",
)
QUOTES_DE = (
    "Ich musste meinen Gästen erklären, warum nichts auf dem Tisch stand.",
    "So etwas darf bei einer Bestellung dieser Größe einfach nicht passieren.",
    "Ich kaufe seit Jahren bei Ihnen und war heute wirklich enttäuscht.",
)
QUOTES_GENERIC = (
    "I am not angry, just disappointed. I expected better from you.",
    "Please just tell me what happened and make sure it does not happen again.",
    "I recommended you to everyone at the office. That was a little awkward this week.",
    "All I wanted was for it to arrive on time, as promised.",
)
LESSONS_GENERIC = (
    "Whoever takes a complaint owns it until the customer hears back.",
    "Call the customer back within the same working day, even without an answer yet.",
    "Write down what we promise, with a date, in the case file.",
    "Check the order against the slip before it leaves the building.",
    "Tell the customer what we changed, not only that we are sorry.",
    "Look for the same problem in earlier cases before closing this one.",
)
OPEN_ITEMS = (
    "{owner} to call {first} back with the findings.",
    "Confirm the new routine with the team at the Friday meeting.",
    "Check the next two orders for {first} personally.",
    "Decide on what to give back once the review is finished.",
)
RECOVERED_ENDINGS = (
    "{first} has since ordered again, and the next {event} went without a hitch.",
    "{first} came back a month later and left a kind review.",
    "The customer is still with us and now orders every week.",
)
LOST_ENDINGS = (
    "{first} has not ordered again since, and told us politely that they have found another bakery.",
    "We have not heard from {first} since the last call.",
)

# -- the front matter's smaller texts --------------------------------------------------

# The contact log's notes, each with who got in touch: the customer, or us.
FIRST_NOTES = (
    ("{first} {came_in} about the {item}; clearly upset.", "customer"),
    ("{first} {came_in}: the {item} for the {event} was not right.", "customer"),
    ("{first} {came_in} and asked for a call back today.", "customer"),
)
MIDDLE_NOTES = (
    ("{owner} called back and apologised; asked for photos.", "us"),
    ("{first} sent photos of the {item}.", "customer"),
    ("Left a voicemail; {first} rang back in the afternoon.", "customer"),
    ("{owner} shared what we found and offered to put it right.", "us"),
    ("{owner} confirmed the replacement for {day} morning.", "us"),
    ("Reminder sent: still waiting for the order number.", "us"),
)
CLOSING_NOTES = (
    ("{first} accepted what we offered and agreed to close the case.", "customer"),
    ("{first} thanked us; case closed.", "customer"),
    ("Confirmed the refund has arrived; {first} is satisfied.", "us"),
)
LATER_NOTES = (
    ("{first} wrote that the same problem happened again.", "customer"),
    ("{first} got in touch again: the fix did not hold.", "customer"),
)
# Our own word after the resolved date: it does not hold the follow-ups.
CHECK_IN_NOTES = (
    ("{owner} called to check that all was well since; {first} was happy.", "us"),
    ("{owner} dropped off a card for {first} with the new routine explained.", "us"),
)
# Read by the customer, in brackets after what was given: "a refund of 12.50 EUR (for the delivery fee you paid)".
ACCOMMODATION_NOTES = {
    "credit": ("taken off your next invoice", "credited to your account for your next order",
               "for the delivery charges you paid on those mornings"),
    "refund": ("for your whole order", "for the delivery fee you paid", "for the items that never reached you"),
    "gift-card": ("for a treat on your next visit", "to spend on anything in the café", "with our thanks for your patience"),
    "discount": ("off your next order", "15 percent off your next event order", "off next month's standing order"),
    "replacement": ("a fresh batch, brought to you free of charge", "baked again for you the same day",
                    "the right order, made and brought to you"),
    "other": ("flowers for you, with a handwritten note", "your coffee on the house for a month",
              "a cake for you and your team, with our apologies"),
}
ACCOMMODATION_NOTES_DE = {
    "credit": ("auf Ihrer nächsten Rechnung verrechnet", "als Guthaben für Ihre nächste Bestellung"),
    "refund": ("für Ihre gesamte Bestellung", "für die Liefergebühr, die Sie bezahlt haben"),
    "gift-card": ("für Ihren nächsten Besuch bei uns", "als Dankeschön für Ihre Geduld"),
    "discount": ("auf Ihre nächste Bestellung", "auf Ihren nächsten Monat im Dauerauftrag"),
    "replacement": ("frisch gebacken und kostenlos zu Ihnen gebracht", "noch am selben Tag neu für Sie zubereitet"),
    "other": ("ein Blumenstrauß mit einer handgeschriebenen Karte", "ein Monat Kaffee auf unsere Kosten"),
}
GIFT_CODE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread

# "We are sorry about …": what happened, in the customer's terms, per category.
ABOUT = {
    "Delivery problem": ("the late delivery of your {item}", "what went wrong with your delivery on {day}",
                         "the delivery of your {item}, which did not go as we promised"),
    "Product quality": ("the {item} that did not meet our standard", "the quality of the {item} you had from us"),
    "Wrong order": ("the mix-up with your order", "the wrong {item} you were given"),
    "Allergen or labelling": ("the wrong label on the {item} you bought", "the allergen information on your {item}"),
    "Billing": ("the mistake with your bill", "the trouble with your payment"),
    "Service": ("the way you were treated by our team", "the service you had from us on {day}"),
    "Food safety": ("the problem with the {item} you bought from us", "what you found in your {item}"),
    "Catering event": ("what went wrong with the catering at your {event}", "the catering at your {event}"),
    "Accessibility": ("the trouble you had getting into and around our café", "the barriers you met at our café"),
    "Online ordering": ("the trouble with your online order", "what went wrong with your order in our online shop"),
}
ABOUT_DE = ("die Panne bei Ihrer Bestellung", "die Unannehmlichkeiten mit Ihrer letzten Bestellung",
            "die Enttäuschung bei Ihrem letzten Einkauf bei uns")

# When the customer's own slip started it: kind, no fault of ours claimed, and advice for next time.
# Each is (what went wrong, how it was put right, how to avoid it), told as one story.
CUSTOMER_ORDER = (
    ("A detail in your order differed from what you had in mind, an easy slip when ordering in a hurry, and we made the {item} exactly as the order said.",
     "Although the order had been followed as written, we made your {item} again at no extra charge.",
     "Your confirmation email now lists every item, the date and the address at the top, so a quick look before you pay is all it takes to catch a slip."),
    ("The order reached us with a different date from the one you meant, so we had your {item} ready on {day} instead.",
     "{owner} found a free slot the same afternoon and had your {item} made again for you at half price.",
     "If anything in your order changes, just reply to the confirmation email: we will confirm the change back to you in writing, so you know it has reached us."),
    ("The delivery address in your order had a small typing error, so our driver {driver} took everything to the address as it was written.",
     "As a goodwill gesture we brought you the order again the next morning, to the right door, and left out the delivery fee.",
     "For anything with a name, a date or an address, ask us to read the order back to you before you hang up or leave the counter; we are glad to."),
)
CUSTOMER_PRODUCT = (
    ("The {item} had been kept for a few days before being eaten, and our bakes are only at their best on the day they are made.",
     "Even so, {owner} gave you a fresh {item} on the house the next time you came in.",
     "Our bakes are best on the day they are made. In a paper bag somewhere cool they keep for two days, and in the freezer for a month."),
    ("The {item} you picked up came from the regular shelf rather than the free-from shelf beside it, and the two look very much alike.",
     "We swapped it for the one you wanted and refunded what you had paid.",
     "If you tell us at the counter what you need to avoid, we will hand you the right {item} from behind the counter ourselves."),
)
CUSTOMER_VISIT = (
    ("You came in at {time}, after our kitchen had closed for the day, so the team could not make what you asked for.",
     "{owner} explained our hours to you and invited you back for a coffee on the house.",
     "Our opening and kitchen hours are now on the door and at the top of our website, so you can check them before you set off."),
    ("Your booking was for {day}, not the day you came, so there was no table kept for you when you arrived.",
     "{owner} called you to talk it through and kept a table for you on your next visit.",
     "Booking by phone is the surest way to a table that suits you; we will read the day and time back to you before you hang up."),
)
CUSTOMER_STORIES = {"Product quality": CUSTOMER_PRODUCT, "Food safety": CUSTOMER_PRODUCT,
                    "Allergen or labelling": CUSTOMER_PRODUCT}
# When nobody could find out where it went wrong: said plainly, and treated as ours.
UNCLEAR_WRONG = (
    "We have not been able to find out for certain where things went wrong with your {item}: our records and your account differ, and nobody on the day remembers it clearly. Rather than argue about it, we have treated it as our mistake.",
    "We could not establish whether the problem started with us or on the way to you, so we have treated it as our own.",
)
# German-speaking customers read their texts in German (case texts are used as written).
WRONG_DE = (
    "Bei Ihrer Bestellung ist uns ein Fehler unterlaufen, den wir hätten bemerken müssen, bevor etwas unser Haus verlassen hat.",
    "Ein Arbeitsschritt, der bei uns fest vorgesehen ist, wurde an diesem Tag ausgelassen, und so kam der Fehler bis zu Ihnen.",
    "An diesem Morgen war unser Team knapp besetzt, und die übliche Kontrolle vor der Ausgabe ist dabei untergegangen.",
)
WRONG_DE_CUSTOMER = (
    "In Ihrer Bestellung stand eine Angabe, die nicht zu dem passte, was Sie eigentlich wollten; so etwas passiert beim Bestellen schnell. Wir haben uns genau an die Bestellung gehalten.",
)
WRONG_DE_UNCLEAR = (
    "Wir konnten nicht sicher klären, an welcher Stelle es schiefgelaufen ist. Statt darüber zu streiten, behandeln wir es als unseren Fehler.",
)
FIX_DE = (
    "Wir haben Ihnen den Betrag erstattet, und {owner} hat sich persönlich bei Ihnen gemeldet, um sich zu entschuldigen.",
    "Wir haben Ihre Bestellung noch am selben Tag neu zubereitet und kostenlos zu Ihnen gebracht.",
    "{owner} hat mit Ihnen gesprochen, und wir haben Ihnen eine Gutschrift für Ihre nächste Bestellung gegeben.",
)
PREVENT_DE = (
    "Jede Bestellung wird jetzt vor der Ausgabe von einer zweiten Person mit dem Auftrag verglichen.",
    "Wir haben diesen Arbeitsschritt schriftlich festgelegt und das ganze Team darin geschult.",
    "Wir prüfen diesen Punkt jetzt zu Beginn jeder Schicht und tragen das Ergebnis in unsere Checkliste ein.",
)
PREVENT_DE_CUSTOMER = (
    "In Ihrer Bestätigungs-E-Mail stehen jetzt alle Angaben ganz oben; ein kurzer Blick darauf vor dem Bezahlen genügt, um einen Tippfehler zu bemerken.",
    "Wenn sich an Ihrer Bestellung etwas ändert, antworten Sie einfach auf die Bestätigung; wir bestätigen Ihnen die Änderung dann schriftlich.",
)
PROMISE_GENERIC = ("Send a written summary of what we found", "Call back within two working days", "Check the next order personally")
TAGS_GENERIC = ("regular", "wholesale", "weekend", "morning-rush", "first-order", "vip", "instagram", "standing-order")
CURRENCIES = ("USD", "GBP")


# -- helpers -------------------------------------------------------------------------

_FOLD = str.maketrans({"ø": "o", "Ø": "O", "æ": "ae", "Æ": "Ae", "ł": "l", "Ł": "L", "þ": "th", "Þ": "Th",
                       "ð": "d", "Ð": "D", "ß": "ss", "đ": "d", "Đ": "D", "œ": "oe", "ı": "i"})


def _ascii(text: str) -> str:
    """Fold text to plain ASCII: Søren Ødegaard → Soren Odegaard."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return decomposed.encode("ascii", "ignore").decode("ascii")


def _slug(title: str, limit: int = 40) -> str:
    """A file-name slug of a title, cut at a word boundary."""
    slug = re.sub(r"[^a-z0-9]+", "-", _ascii(title).lower()).strip("-")
    if len(slug) > limit:
        slug = slug[:limit].rsplit("-", 1)[0]
    return slug or "case"


def _q(text: str) -> str:
    """A YAML scalar that reads back as exactly this text: JSON strings are valid YAML."""
    return json.dumps(text, ensure_ascii=False)


def _words(text: str) -> int:
    """Count words as the length check does: whitespace-separated tokens."""
    return len(text.split())


def _weighted(rng: random.Random, table: Sequence[tuple[str, int]]) -> str:
    """One value of a (value, weight) table."""
    return rng.choices([v for v, _ in table], [w for _, w in table])[0]


def _covered(rng: random.Random, index: int, table: Sequence[tuple[str, int]]) -> str:
    """The index-th value for the first cases, so even a small set shows every value; then by weight."""
    return table[index][0] if index < len(table) else _weighted(rng, table)


@dataclass(frozen=True)
class Person:
    """A customer; a repeat customer keeps the same record across cases."""

    name: str
    first: str
    email: str | None
    company: str | None
    phone: str | None
    timezone: str | None
    language: str | None
    repeat: bool
    salutation: str | None = None  # "Dear …": a first name, Ms/Mr (Frau/Herr) and the surname, or the full name
    address: str | None = None     # postal, several lines; written for letter cases and some others
    address_on_file: bool = False


def _name(rng: random.Random, intl: bool, used: set[str]) -> tuple[str, str]:
    """A full name nobody else has yet, and its first name."""
    for attempt in range(40):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        if intl:
            roll = rng.random()
            first = rng.choice(FIRST_INTL) if roll < 0.7 else first
            last = rng.choice(LAST_INTL) if roll >= 0.5 else last
        # A middle initial once the plain pairs run out, as they do in large sets.
        name = f"{first} {last}" if attempt < 20 else f"{first} {chr(65 + rng.randrange(26))}. {last}"
        if name not in used:
            used.add(name)
            return name, first
    name = f"{first} {last} {len(used)}"
    used.add(name)
    return name, first


def _email(rng: random.Random, name: str, used: set[str]) -> str:
    """An ASCII address under an example domain, unique in the set."""
    parts = re.sub(r"[^a-z ]+", "", _ascii(name).lower()).split()
    style = rng.randrange(3)
    local = ".".join(parts) if style == 0 else parts[0] + parts[-1] if style == 1 else f"{parts[0][0]}.{parts[-1]}"
    domain = rng.choice(DOMAINS)
    address, number = f"{local}@{domain}", 2
    while address in used:
        address, number = f"{local}{number}@{domain}", number + 1
    used.add(address)
    return address


def _language(rng: random.Random) -> str | None:
    roll = rng.random()
    if roll < 0.05:
        return "de"
    if roll < 0.09:
        return rng.choice(OTHER_LANGUAGES)
    return "en" if roll < 0.35 else None


def _salutation(rng: random.Random, name: str, first: str, language: str | None) -> str | None:
    """How the greeting names a customer: their first name, a title and surname, or (None) the full name."""
    roll = rng.random()
    surname = name.split()[-1]
    if first in FEMALE or first in MALE:
        title = (("Frau" if first in FEMALE else "Herr") if language == "de" else ("Ms" if first in FEMALE else "Mr"))
        if roll < 0.12:
            return f"{title} {surname}"
    elif roll < 0.03:
        return f"Dr {surname}"
    # A first name only where that is how we speak to them; German customers keep the formal greeting.
    return first if language != "de" and 0.12 <= roll < 0.3 else None


def _address(rng: random.Random) -> str:
    """A postal address of two lines: street and number, postcode and town."""
    return f"{rng.choice(STREETS)} {rng.randint(1, 140)}\n{rng.choice(TOWNS)}"


def _timezone(rng: random.Random, language: str | None) -> str | None:
    roll = rng.random()
    if roll < 0.04:
        return rng.choice(TIMEZONES_FAR)
    if roll < 0.5:
        return "Europe/Berlin" if language == "de" else rng.choice(TIMEZONES)
    return None


def _person(rng: random.Random, repeat: bool, names: set[str], emails: set[str], intl: bool) -> Person:
    name, first = _name(rng, intl, names)
    language = _language(rng)
    word, surname = rng.choice(COMPANY_WORDS), name.split()[-1]
    return Person(
        name=name,
        first=first,
        email=_email(rng, name, emails) if rng.random() < 0.94 else None,
        company=rng.choice(COMPANY_FORMS).format(w=word, l=surname) if rng.random() < 0.35 else None,
        phone=f"{rng.choice(PHONE_PREFIXES)} {rng.randint(100, 999)} {rng.randint(1000, 9999)}" if rng.random() < 0.55 else None,
        timezone=_timezone(rng, language),
        language=language,
        repeat=repeat,
        salutation=_salutation(rng, name, first, language),
        address=_address(rng),
        address_on_file=rng.random() < 0.15,
    )


def _customers(rng: random.Random, n: int) -> list[Person]:
    """One customer per case, ~15% of customers with two to four cases, in random order."""
    names: set[str] = set()
    emails: set[str] = set()
    slots: list[Person] = []
    while len(slots) < n:
        # The first customer is a repeating one with a non-ASCII name, so a small set shows both.
        first_one = not slots
        repeat = first_one or rng.random() < 0.15
        person = _person(rng, repeat, names, emails, intl=first_one or rng.random() < 0.2)
        slots += [person] * (rng.choice((2, 2, 2, 3, 3, 4)) if repeat else 1)
    slots = slots[:n]
    rng.shuffle(slots)
    return slots


# -- one case ------------------------------------------------------------------------

@dataclass
class Draft:
    """Everything about one case, before it is written out."""

    title: str
    person: Person
    channel: str
    opened: date
    resolved: date | None
    status: str
    fault: str
    severity: str
    owner: str
    team: str
    category: Category
    tags: list[str]
    context: dict
    customer_value: int | None = None
    do_not_contact: bool = False
    accommodation: list[dict] | None = None
    promises: list[dict] | None = None
    story: dict | None = None
    contacts: list[tuple[str, str, str, str]] | None = None
    followups: dict | None = None
    about: str = ""
    source_url: str | None = None
    body: str = ""


def _dates(rng: random.Random, kind: str, today: date) -> tuple[date, date | None]:
    """Opened over the last three years (more of them recent), resolved 0–40 days later."""
    recent = rng.random() < 0.12 or (kind == "open" and rng.random() < 0.75)
    back = rng.randint(0, 45 if recent else 3 * 365)
    if kind == "reopened":
        # Room after the first resolution for the customer to come back.
        back = max(back, 3)
    opened = today - timedelta(days=back)
    if kind == "open" or (kind == "lost" and rng.random() < 0.4):
        return opened, None
    latest = today - timedelta(days=1) if kind == "reopened" else today
    resolved = min(opened + timedelta(days=int(rng.triangular(0, 40, 4))), latest)
    return opened, resolved


def _between(rng: random.Random, start: date, end: date) -> date:
    """A day from start to end, both included."""
    return start + timedelta(days=rng.randint(0, max((end - start).days, 0)))


def _moment(rng: random.Random, day: date) -> str:
    """A date, or a date and a time of day in opening hours."""
    if rng.random() < 0.6:
        return f"{day} {rng.randint(7, 18):02d}:{rng.choice((0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55)):02d}"
    return str(day)


def _contacts(rng: random.Random, d: Draft, kind: str, today: date) -> list[tuple[str, str, str, str]]:
    """The contact log (at, channel, note, by): first word on the opened day, replies in between, a late one when reopened."""
    count = rng.choices(range(6), (8, 25, 25, 20, 12, 10))[0]
    end = d.resolved if d.resolved and kind != "open" else today
    # A customer who writes again after the resolved date holds the follow-ups: the reopened ones always, a few others too.
    came_back = d.resolved is not None and d.resolved < today and (kind == "reopened" or rng.random() < 0.02)
    # A few settled cases get a call from us after the resolved date, which holds nothing.
    checked_in = (not came_back and d.resolved is not None and d.resolved < today and kind in ("resolved", "recovered")
                  and rng.random() < 0.04)
    if kind == "reopened":
        end, count = d.resolved, max(count, 1)
    # At most five entries, counting the one after the resolved date.
    count = min(count, 4) if came_back or checked_in else count
    days = sorted([d.opened] + [_between(rng, d.opened, end) for _ in range(max(count - 1, 0))])[:count]
    closing = CLOSING_NOTES if kind in ("resolved", "recovered", "reopened") else MIDDLE_NOTES
    notes = [FIRST_NOTES] + [MIDDLE_NOTES] * (len(days) - 2) + ([closing] if len(days) > 1 else [])
    log = []
    for i, (day, pool) in enumerate(zip(days, notes)):
        note, by = rng.choice(pool)
        log.append((_moment(rng, day), d.channel if i == 0 else rng.choice(CHANNELS), note.format_map(d.context), by))
    if came_back or checked_in:
        later = _between(rng, d.resolved + timedelta(days=1), min(d.resolved + timedelta(days=30), today))
        note, by = rng.choice(LATER_NOTES if came_back else CHECK_IN_NOTES)
        log.append((_moment(rng, later), rng.choice(CHANNELS), note.format_map(d.context), by))
    return log


def _amount(rng: random.Random, kind: str) -> str | None:
    """An amount in the right range for the kind; replacements and gestures sometimes have none."""
    if kind in ("replacement", "other") and rng.random() < 0.3:
        return None
    if kind == "gift-card":
        return f"{rng.choice((10, 15, 20, 25, 30, 50)):.2f}"
    low, high = {"credit": (5, 80), "refund": (3, 150), "discount": (5, 120)}.get(kind, (4, 90))
    return f"{rng.uniform(low, high):.2f}"


def _gift_card(rng: random.Random, d: Draft, today: date) -> dict:
    """A gift card's own details: a code, sometimes a link, an expiry date; a few were already handed over."""
    code = "HLB-" + "".join(rng.choices(GIFT_CODE_LETTERS, k=4)) + "-" + "".join(rng.choices(GIFT_CODE_LETTERS, k=4))
    given_on = d.resolved or d.opened
    return {
        "code": code,
        "url": f"https://giftcards.example.com/{code}" if rng.random() < 0.5 else None,
        "expires": given_on + timedelta(days=365),
        # Handed over at the counter or by post before the follow-ups: on a day from opened to resolved.
        "sent": _between(rng, d.opened, min(given_on, today)) if rng.random() < 0.3 else None,
    }


def _accommodation(rng: random.Random, index: int, kind: str, d: Draft, today: date) -> list[dict]:
    """What was given back: usually one or two things for a resolved case, sometimes nothing."""
    settled = kind in ("resolved", "recovered", "reopened")
    count = rng.choices(range(4), (8, 55, 30, 7) if settled else (45, 40, 13, 2))[0]
    if index < len(KIND_TABLE):
        count = max(count, 1)
    out = []
    for position in range(count):
        what = _covered(rng, index, KIND_TABLE) if position == 0 else _weighted(rng, KIND_TABLE)
        item = {"kind": what, "amount": _amount(rng, what)}
        roll = rng.random()
        item["currency"] = rng.choice(CURRENCIES) if roll < 0.05 else "EUR" if roll < 0.3 else None
        notes = ACCOMMODATION_NOTES_DE if d.person.language == "de" else ACCOMMODATION_NOTES
        item["note"] = rng.choice(notes[what]) if rng.random() < 0.8 else None
        if what == "gift-card":
            item.update(_gift_card(rng, d, today))
        out.append(item)
    return out


def _promises(rng: random.Random, d: Draft, today: date) -> list[dict]:
    """Promises made to the customer: kept, broken, or still pending."""
    out = []
    for _ in range(rng.choices(range(4), (35, 40, 20, 5))[0]):
        what = rng.choice(d.category.promises + PROMISE_GENERIC).format_map(d.context)
        due = d.opened + timedelta(days=rng.randint(1, 21))
        settled = d.resolved is not None and d.status != "open"
        kept = rng.choices((True, False, None), (80, 12, 8) if settled else (40, 20, 40))[0]
        # A kept or broken promise was due in the past; a pending one may be due later.
        out.append({"what": what, "due": min(due, today) if kept is not None else due, "kept": kept})
    return out


def _story_pools(rng: random.Random, d: Draft) -> dict[str, tuple[str, ...]]:
    """The sentences a case's customer-facing texts are drawn from: by the customer's language and by fault."""
    c = d.category
    if d.person.language == "de":
        wrong = {"customer": WRONG_DE_CUSTOMER, "unclear": WRONG_DE_UNCLEAR}.get(d.fault, WRONG_DE)
        prevent = PREVENT_DE_CUSTOMER if d.fault == "customer" else PREVENT_DE
        return {"what_went_wrong": wrong, "how_resolved": FIX_DE, "prevention": prevent}
    if d.fault == "customer":
        # No fault of ours claimed; the prevention is advice that helps the customer next time. One story, kept whole.
        stories = CUSTOMER_STORIES.get(c.name, CUSTOMER_ORDER if c.orders else CUSTOMER_VISIT)
        wrong, fix, prevent = rng.choice(stories)
        return {"what_went_wrong": (wrong,), "how_resolved": (fix,), "prevention": (prevent,)}
    wrong = UNCLEAR_WRONG if d.fault == "unclear" else c.wrong
    return {"what_went_wrong": wrong, "how_resolved": c.fix, "prevention": c.prevent}


def _story(rng: random.Random, d: Draft, kind: str) -> dict:
    """what_went_wrong, how_resolved and prevention: always when settled, sometimes otherwise."""
    fields = _story_pools(rng, d)
    if kind in ("resolved", "recovered"):
        keep = 3
    elif kind == "lost":
        keep = rng.choice((0, 1, 3, 3))
    elif kind == "reopened":
        keep = rng.choice((2, 3))
    else:
        keep = rng.choice((0, 0, 1, 1, 2))
    story = {}
    for key, pool in list(fields.items())[:keep]:
        text = rng.choice(pool).format_map(d.context)
        # Sometimes a second measure in the prevention; two causes or two remedies would contradict each other.
        extra = rng.choice(pool).format_map(d.context)
        story[key] = f"{text} {extra}" if key == "prevention" and rng.random() < 0.25 and extra != text else text
    return story


def _overrides(rng: random.Random, d: Draft) -> dict | None:
    """A few cases change their own follow-up plan: hold, skip kinds, or fix a date."""
    if d.resolved is None or rng.random() >= 0.04:
        return None
    choice = rng.randrange(3)
    if choice == 0:
        return {"hold": "true"}
    if choice == 1:
        return {"skip": rng.sample(SKIPPABLE, rng.randint(1, 2))}
    return {"dates": {rng.choice(PLAN_KINDS): d.resolved + timedelta(days=rng.randint(1, 10))}}


def _context(rng: random.Random, person: Person, owner: str, channel: str) -> dict:
    """The words that fill the sentence templates of one case."""
    item = rng.choice(ITEMS)
    event = rng.choice(EVENTS)
    return {
        "item": item, "Item": item[0].upper() + item[1:], "event": event, "Event": event[0].upper() + event[1:],
        "place": rng.choice(PLACES), "time": f"{rng.randint(7, 16):02d}:{rng.choice((0, 15, 30, 45)):02d}",
        "late": rng.choice((20, 35, 45, 50, 70, 90, 120)), "order": rng.randint(10000, 99999),
        "qty": rng.choice((4, 6, 8, 12, 20, 25, 40, 60)), "driver": rng.choice(DRIVERS), "baker": rng.choice(BAKERS),
        "owner": owner.split()[0], "first": person.first, "day": rng.choice(DAYS),
        "came_in": CAME_IN[channel],
    }


def _draft(rng: random.Random, index: int, person: Person, today: date) -> tuple[Draft, str]:
    """Choose every fact of one case; returns the draft and its kind (a status, or 'reopened')."""
    kind = _covered(rng, index, STATUS_TABLE)
    channel = _covered(rng, index, CHANNEL_TABLE)
    if person.email is None and channel in ("email", "chat"):
        # Someone without an email address complained some other way, and is answered that way too.
        channel = rng.choice(("phone", "letter", "in-person"))
    category = CATEGORIES[rng.randrange(len(CATEGORIES))]
    owner = rng.choice(OWNERS)
    context = _context(rng, person, owner, channel)
    opened, resolved = _dates(rng, kind, today)
    title = rng.choice(category.titles).format_map(context)
    tags = rng.sample(category.tags, rng.randint(1, 3)) + rng.sample(TAGS_GENERIC, rng.choice((0, 0, 1)))
    tags += ["reopened"] * (kind == "reopened") + ["repeat-customer"] * person.repeat
    d = Draft(
        title=title, person=person, channel=channel, opened=opened, resolved=resolved,
        status="open" if kind == "reopened" else kind,
        fault=_covered(rng, index, FAULT_TABLE), severity=_covered(rng, index, SEVERITY_TABLE),
        owner=owner, team=rng.choice(category.teams) if rng.random() < 0.85 else rng.choice(TEAMS),
        category=category, tags=tags, context=context,
    )
    d.customer_value = int(rng.lognormvariate(6.3, 1.1)) // 10 * 10 if rng.random() < 0.8 else None
    d.do_not_contact = rng.random() < 0.02
    d.accommodation = _accommodation(rng, index, kind, d, today)
    d.about = rng.choice(ABOUT_DE if d.person.language == "de" else ABOUT[category.name]).format_map(context)
    if channel == "social":
        d.source_url = f"https://social.example.com/@{_slug(person.name, 30)}/posts/{context['order']}"
    d.promises = _promises(rng, d, today)
    d.story = _story(rng, d, kind)
    d.contacts = _contacts(rng, d, kind, today)
    d.followups = _overrides(rng, d)
    return d, kind


# -- the Markdown body ----------------------------------------------------------------

def _table(rng: random.Random, d: Draft) -> str:
    """A timeline of the case, or a breakdown of the order."""
    if d.contacts and rng.random() < 0.5:
        rows = ["| When | Channel | What happened |", "| --- | --- | --- |"]
        rows += [f"| {at} | {channel} | {note} |" for at, channel, note, _ in d.contacts]
        return "\n".join(rows)
    rows = ["| Item | Quantity | Price |", "| --- | ---: | ---: |"]
    total = 0.0
    for item in rng.sample(ITEMS, rng.randint(2, 5)):
        quantity, price = rng.randint(1, 40), rng.uniform(1.5, 45)
        total += quantity * price
        rows.append(f"| {item[0].upper() + item[1:]} | {quantity} | {quantity * price:.2f} |")
    rows.append(f"| **Total** | | **{total:.2f}** |")
    return "\n".join(rows)


def _bullets(items: list[str], numbered: bool) -> str:
    """A Markdown list, bulleted or numbered."""
    return "\n".join(f"{i}. {item}" if numbered else f"- {item}" for i, item in enumerate(items, start=1))


def _quote(rng: random.Random, d: Draft) -> str:
    """The customer's words, in German for some German-speaking customers."""
    own = d.category.quotes + QUOTES_GENERIC
    first = rng.choice(QUOTES_DE if d.person.language == "de" and rng.random() < 0.7 else own)
    lines = [f"> {first}"]
    if rng.random() < 0.4:
        lines += [">", f"> {rng.choice(own)}"]
    return "\n".join(lines)


def _paragraphs(rng: random.Random, sentences: list[str]) -> list[str]:
    """Group sentences into paragraphs of two to five."""
    out, start = [], 0
    while start < len(sentences):
        size = rng.randint(2, 5)
        out.append(" ".join(sentences[start:start + size]))
        start += size
    return out


def _body(rng: random.Random, d: Draft, kind: str) -> str:
    """300–800 words of Markdown: the story, the customer's words, the findings, the lessons."""
    ctx = d.context
    happened = [s.format_map(ctx) for s in rng.sample(d.category.happened, 2)]
    found = [rng.choice(d.category.found).format_map(ctx), FAULT_LINES[d.fault]]
    links = LINKS_ANY + LINKS_ORDER if d.category.orders else LINKS_ANY
    found += [link.format_map(ctx) for link in rng.sample(links, rng.randint(1, 2))]
    lessons = rng.sample(d.category.lessons, rng.randint(1, 2)) + rng.sample(LESSONS_GENERIC, rng.randint(1, 2))
    extras = {"quote": _quote(rng, d), "lessons": _bullets([x.format_map(ctx) for x in lessons], rng.random() < 0.4)}
    if rng.random() < 0.5:
        extras["table"] = _table(rng, d)
    if kind in ("open", "reopened"):
        extras["open"] = _bullets([x.format_map(ctx) for x in rng.sample(OPEN_ITEMS, rng.randint(2, 3))], False)
    endings = {"recovered": RECOVERED_ENDINGS, "lost": LOST_ENDINGS}.get(kind)
    extras["ending"] = rng.choice(endings).format_map(ctx) if endings else ""

    # Grow the two prose sections a sentence at a time until the body reaches its length;
    # one sentence is under 40 words, so a target up to 760 stays under 800.
    target = rng.randint(320, 760)
    headings = HEADINGS + (STILL_TO_DO,) if "open" in extras else HEADINGS
    words = sum(_words(x) for x in (*headings, *extras.values(), *happened, *found))
    story = list(HAPPENED_ANY + HAPPENED_ORDER if d.category.orders else HAPPENED_ANY)
    review = list(FOUND_ANY + FOUND_ORDER if d.category.orders else FOUND_ANY)
    rng.shuffle(story)
    rng.shuffle(review)
    while words < target and (story or review):
        into, source = (happened, story) if story and (len(happened) <= len(found) or not review) else (found, review)
        sentence = source.pop().format_map(ctx)
        into.append(sentence)
        words += _words(sentence)
    return _assemble(rng, happened, found, extras)


def _assemble(rng: random.Random, happened: list[str], found: list[str], extras: dict) -> str:
    """Put the sections in reading order."""
    what_happened, in_their_words, what_we_found, lessons = HEADINGS
    parts = [what_happened, *_paragraphs(rng, happened), in_their_words, extras["quote"],
             what_we_found, *_paragraphs(rng, found)]
    if "table" in extras:
        parts.append(extras["table"])
    if "open" in extras:
        parts += [STILL_TO_DO, extras["open"]]
    parts += [lessons, extras["lessons"]]
    if extras["ending"]:
        parts.append(extras["ending"])
    return "\n\n".join(parts) + "\n"


# -- writing it out --------------------------------------------------------------------

# Keys whose values are written by people; every other value is a date, number or choice.
FREE_TEXT = ("note", "what")


def _customer_lines(p: Person, channel: str) -> list[str]:
    """The customer mapping, leaving out what this customer did not give; a letter case always has the address."""
    lines = ["customer:", f"  name: {_q(p.name)}"]
    for key in ("salutation", "email", "company", "phone", "timezone", "language"):
        value = getattr(p, key)
        if value is not None:
            lines.append(f"  {key}: {_q(value)}")
    if p.address and (channel == "letter" or p.address_on_file):
        lines += ["  address: |"] + [f"    {line}" for line in p.address.split("\n")]
    return lines


def _list_lines(key: str, items: list[dict]) -> list[str]:
    """A YAML list of mappings, leaving out the absent values; free text goes in quotes."""
    if not items:
        return []
    lines = [f"{key}:"]
    for item in items:
        present = [(k, v) for k, v in item.items() if v is not None]
        for position, (k, v) in enumerate(present):
            text = _q(v) if k in FREE_TEXT else str(v).lower() if isinstance(v, bool) else str(v)
            lines.append(f"{'  - ' if position == 0 else '    '}{k}: {text}")
    return lines


def _followup_lines(overrides: dict | None) -> list[str]:
    """The case's own changes to the follow-up plan, if any."""
    if not overrides:
        return []
    lines = ["followups:"]
    if "hold" in overrides:
        lines.append(f"  hold: {overrides['hold']}")
    if "skip" in overrides:
        lines.append(f"  skip: {json.dumps(overrides['skip'])}")
    if "dates" in overrides:
        lines += ["  dates:"] + [f"    {kind}: {day}" for kind, day in overrides["dates"].items()]
    return lines


def _render(d: Draft) -> str:
    """The case file: YAML front matter between '---' lines, then the Markdown body."""
    lines = ["---", f"title: {_q(d.title)}", *_customer_lines(d.person, d.channel), f"channel: {d.channel}", f"opened: {d.opened}"]
    if d.resolved:
        lines.append(f"resolved: {d.resolved}")
    if d.source_url:
        lines.append(f"source_url: {d.source_url}")
    lines += [f"status: {d.status}", f"fault: {d.fault}", f"severity: {d.severity}", f"owner: {_q(d.owner)}",
              f"team: {_q(d.team)}", f"category: {_q(d.category.name)}", f"tags: {json.dumps(d.tags)}"]
    if d.customer_value is not None:
        lines.append(f"customer_value: {d.customer_value}")
    if d.do_not_contact:
        lines.append("do_not_contact: true")
    lines += _list_lines("accommodation", d.accommodation)
    lines += _list_lines("promises", d.promises)
    lines.append(f"about: {_q(d.about)}")
    lines += [f"{key}: {_q(text)}" for key, text in d.story.items()]
    lines += _list_lines("contacts", [{"at": at, "by": "us" if by == "us" else None, "channel": ch, "note": note}
                                      for at, ch, note, by in d.contacts])
    lines += _followup_lines(d.followups)
    lines += ["---", d.body]
    return "\n".join(lines)


def generate(n: int, seed: int, today: date) -> Iterator[tuple[str, str]]:
    """Yield (file name, text) for n varied, valid case files; the same seed gives the same files."""
    rng = random.Random(seed)
    # Customers first, so that repeat customers keep one name and address across their cases.
    people = _customers(rng, n)
    for index, person in enumerate(people):
        draft, kind = _draft(rng, index, person, today)
        draft.body = _body(rng, draft, kind)
        # The index keeps names unique; the date and slug keep them readable and in order.
        yield f"{draft.opened}-{_slug(draft.title)}-{index + 1:05d}.md", _render(draft)
