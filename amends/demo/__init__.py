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
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import NamedTuple

from amends.model import ACCOMMODATION_KINDS, CHANNELS, FAULTS, SEVERITIES

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
    "spinach quiches", "focaccia", "apple strudel", "carrot cake", "baguettes",
    "pretzel basket", "pastry box", "cheese scones", "almond croissants", "rhubarb crumble", "spelt rolls",
)
TEAMS = ("Delivery", "Bakery", "Kitchen", "Front of house", "Online orders", "Catering", "Accounts", "Wholesale")


class Thing(NamedTuple):
    """What exactly a cause concerned, in English and in German; the slug names it in the cause's tag."""

    slug: str
    en: str
    de: str


# German names stand where their article does not change: in brackets, after "am", or as a feminine,
# neuter or plural noun in the nominative or accusative.
VENUES = (
    Thing("harbour-office", "the harbour office", "das Hafenbüro"),
    Thing("customs-house", "the old customs house", "das alte Zollhaus"),
    Thing("community-hall", "the community hall", "das Gemeindehaus"),
    Thing("riverside-hotel", "the riverside hotel", "das Hotel am Fluss"),
    Thing("dock-street", "the co-working space on Dock Street", "das Co-Working-Büro in der Dock Street"),
    Thing("town-hall", "the town hall", "das Rathaus"),
    Thing("mill-lane-gallery", "the gallery on Mill Lane", "die Galerie in der Mill Lane"),
    Thing("sailing-club", "the sailing club", "das Clubhaus des Segelvereins"),
    Thing("elm-street-school", "the school on Elm Street", "die Schule in der Elm Street"),
    Thing("brewery-loft", "the brewery loft", "das Brauereiloft"),
    Thing("hospital", "the hospital canteen", "die Krankenhauskantine"),
    Thing("library", "the city library", "die Stadtbibliothek"),
    Thing("fire-station", "the fire station", "die Feuerwache"),
    Thing("care-home", "the care home on Rosenweg", "das Pflegeheim am Rosenweg"),
    Thing("yoga-studio", "the yoga studio", "das Yogastudio"),
    Thing("museum-cafe", "the museum café", "das Museumscafé"),
)
PLACES = tuple(v.en for v in VENUES) + ("our counter on Harbour Lane", "the market stall")
BAKES = (
    Thing("rye", "rye loaves", "Roggenbrote"), Thing("sourdough", "sourdough loaves", "Sauerteigbrote"),
    Thing("spelt-rolls", "spelt rolls", "Dinkelbrötchen"), Thing("baguettes", "baguettes", "Baguettes"),
    Thing("focaccia", "focaccia", "Focaccia"), Thing("pretzels", "pretzels", "Brezeln"),
    Thing("cinnamon-buns", "cinnamon buns", "Zimtschnecken"), Thing("cardamom-buns", "cardamom buns", "Kardamomschnecken"),
    Thing("croissants", "butter croissants", "Buttercroissants"), Thing("almond-croissants", "almond croissants", "Mandelcroissants"),
    Thing("lemon-tarts", "lemon tarts", "Zitronentartes"), Thing("brownies", "brownies", "Brownies"),
    Thing("carrot-cake", "carrot cake", "Karottenkuchen"), Thing("cheese-scones", "cheese scones", "Käsescones"),
    Thing("quiches", "spinach quiches", "Spinatquiches"), Thing("strudel", "apple strudel", "Apfelstrudel"),
    Thing("ciabatta", "ciabatta", "Ciabatta"), Thing("bagels", "bagels", "Bagels"),
    Thing("seeded-rolls", "seeded rolls", "Körnerbrötchen"), Thing("muffins", "blueberry muffins", "Blaubeermuffins"),
)
# Only a yeast dough proves.
YEASTED = tuple(b for b in BAKES if b.slug in {"rye", "sourdough", "spelt-rolls", "baguettes", "focaccia", "pretzels",
                                               "cinnamon-buns", "cardamom-buns", "croissants", "almond-croissants",
                                               "ciabatta", "bagels", "seeded-rolls"})
CHILLED = (
    Thing("quiches", "spinach quiches", "Spinatquiches"), Thing("sandwich-platters", "sandwich platters", "Sandwichplatten"),
    Thing("lunch-boxes", "vegan lunch boxes", "vegane Lunchboxen"), Thing("lemon-tarts", "lemon tarts", "Zitronentartes"),
    Thing("carrot-cake", "carrot cake", "Karottenkuchen"),
)
EVENTS = (
    Thing("wedding", "wedding", "Hochzeit"), Thing("birthday", "birthday party", "Geburtstagsfeier"),
    Thing("office-lunch", "office lunch", "Büromittagessen"), Thing("conference", "conference", "Konferenz"),
    Thing("christening", "christening", "Taufe"), Thing("retirement", "retirement party", "Abschiedsfeier"),
    Thing("board-meeting", "board meeting", "Vorstandssitzung"), Thing("school-fete", "school fête", "Schulfest"),
    Thing("book-launch", "book launch", "Buchpremiere"), Thing("anniversary", "anniversary dinner", "Jubiläumsessen"),
    Thing("team-breakfast", "team breakfast", "Teamfrühstück"), Thing("gallery-opening", "gallery opening", "Vernissage"),
    Thing("graduation", "graduation party", "Abschlussfeier"), Thing("summer-party", "summer party", "Sommerfest"),
    Thing("product-launch", "product launch", "Produktvorstellung"), Thing("open-day", "open day", "Tag der offenen Tür"),
)
DAYS = (
    Thing("monday", "Monday", "Montag"), Thing("tuesday", "Tuesday", "Dienstag"), Thing("wednesday", "Wednesday", "Mittwoch"),
    Thing("thursday", "Thursday", "Donnerstag"), Thing("friday", "Friday", "Freitag"), Thing("saturday", "Saturday", "Samstag"),
    Thing("sunday", "Sunday", "Sonntag"),
)
BOOKED = (Thing("phone", "by phone", "telefonisch"), Thing("online", "online", "online"), Thing("email", "by email", "per E-Mail"),
          Thing("app", "in the app", "per App"), Thing("in-person", "at the counter", "an der Theke"))
ALLERGENS = (
    Thing("hazelnut", "hazelnut", "Haselnuss"), Thing("sesame", "sesame", "Sesam"), Thing("gluten", "gluten", "Gluten"),
    Thing("milk", "milk", "Milch"), Thing("egg", "egg", "Ei"), Thing("soy", "soy", "Soja"), Thing("mustard", "mustard", "Senf"),
    Thing("celery", "celery", "Sellerie"), Thing("almond", "almond", "Mandel"), Thing("lupin", "lupin", "Lupine"),
    Thing("peanut", "peanut", "Erdnuss"), Thing("walnut", "walnut", "Walnuss"), Thing("pistachio", "pistachio", "Pistazie"),
)
TILLS = (
    Thing("counter", "the counter", "Theke"), Thing("cafe", "the café", "Café"), Thing("market-stall", "the market stall", "Marktstand"),
    Thing("pick-up-hatch", "the pick-up hatch", "Abholschalter"), Thing("events-stand", "the events stand", "Veranstaltungsstand"),
)
REFUNDS = (Thing("card", "card", "Karte"), Thing("bank-transfer", "bank transfer", "Überweisung"),
           Thing("shop-credit", "shop credit", "Guthaben im Onlineshop"))
MACHINES = (
    Thing("espresso-machine", "the espresso machine", "die Espressomaschine"), Thing("till", "the till", "die Kasse"),
    Thing("card-reader", "the card reader", "das Kartenlesegerät"), Thing("dishwasher", "the dishwasher", "die Spülmaschine"),
    Thing("coffee-grinder", "the coffee grinder", "die Kaffeemühle"), Thing("milk-frother", "the milk frother", "der Milchaufschäumer"),
    Thing("water-boiler", "the hot water boiler", "der Heißwasserboiler"), Thing("toaster", "the sandwich toaster", "der Sandwichtoaster"),
)
MESSAGES = (
    Thing("sticky-note", "on a sticky note by the till", "Klebezettel an der Kasse"), Thing("voicemail", "on the voicemail", "Anrufbeantworter"),
    Thing("shared-inbox", "in the shared inbox", "gemeinsames Postfach"), Thing("social-inbox", "in our social media inbox", "soziale Medien"),
    Thing("counter-book", "in the counter book", "Thekenbuch"), Thing("contact-form", "in the website's contact form", "Kontaktformular"),
    Thing("order-notes", "in the notes of an online order", "Bestellnotiz"),
)
ROLES = (
    Thing("counter", "on the counter", "an der Theke"), Thing("cafe-floor", "on the café floor", "im Café"),
    Thing("phone", "on the phone", "am Telefon"), Thing("market-stall", "at the market stall", "am Marktstand"),
    Thing("events", "serving at events", "im Service bei Veranstaltungen"), Thing("weekend", "on the weekend shift", "in der Wochenendschicht"),
)
STATIONS = (
    Thing("bread-bench", "the bread bench", "Brotbank"), Thing("pastry-bench", "the pastry bench", "Konditorei"),
    Thing("sandwich-station", "the sandwich station", "Sandwichtheke"), Thing("packing-table", "the packing table", "Packtisch"),
    Thing("cake-counter", "the cake counter", "Tortentheke"),
)
TOOLS = (
    Thing("scraper", "the dough scraper", "Teigschaber"), Thing("slicer", "the bread slicer", "Brotschneidemaschine"),
    Thing("mixer-paddle", "the mixer paddle", "Knethaken"), Thing("piping-nozzle", "the piping nozzle", "Spritztülle"),
    Thing("dough-divider", "the dough divider", "Teigteiler"),
)
SHELVES = (
    Thing("chilled-cabinet", "the chilled cabinet", "Kühltheke"), Thing("cake-display", "the cake display", "Kuchenvitrine"),
    Thing("sandwich-fridge", "the sandwich fridge", "Sandwichkühlschrank"), Thing("counter-fridge", "the counter fridge", "Thekenkühlschrank"),
    Thing("market-cool-box", "the cool box at the market stall", "Kühlbox am Marktstand"),
)
VEHICLES = (
    Thing("small-van", "the small van", "kleiner Lieferwagen"), Thing("big-van", "the big van", "großer Lieferwagen"),
    Thing("chiller-van", "the chiller van", "Kühlwagen"), Thing("catering-trailer", "the catering trailer", "Cateringanhänger"),
    Thing("hire-van", "the hire van", "Mietwagen"),
)
DIETS = (
    Thing("vegan", "vegan", "vegan"), Thing("vegetarian", "vegetarian", "vegetarisch"), Thing("gluten-free", "gluten-free", "glutenfrei"),
    Thing("halal", "halal", "halal"), Thing("dairy-free", "dairy-free", "laktosefrei"), Thing("nut-free", "nut-free", "nussfrei"),
)
DISHES = (Thing("soup", "soup", "Suppe"), Thing("lasagne", "lasagne", "Lasagne"), Thing("curry", "curry", "Curry"),
          Thing("goulash", "goulash", "Gulasch"), Thing("quiche", "quiche", "Quiche"))
KIT = (
    Thing("cutlery", "the cutlery", "Besteck"), Thing("plates", "the plates", "Teller"), Thing("napkins", "the napkins", "Servietten"),
    Thing("serving-tongs", "the serving tongs", "Vorlegezangen"), Thing("coffee-urns", "the coffee urns", "Kaffeebehälter"),
)
BLOCKERS = (
    Thing("crates", "delivery crates", "Lieferkisten"), Thing("bikes", "parked bikes", "abgestellte Fahrräder"),
    Thing("a-board", "our A-board", "Kundenstopper"), Thing("bins", "the bins", "Mülltonnen"), Thing("chairs", "stacked chairs", "gestapelte Stühle"),
)
AIDS = (
    Thing("large-print-menu", "large-print menu", "Speisekarte in Großdruck"), Thing("braille-menu", "braille menu", "Speisekarte in Brailleschrift"),
    Thing("portable-ramp", "portable ramp", "mobile Rampe"), Thing("magnifying-glass", "magnifying glass", "Lupe"),
    Thing("perching-stool", "perching stool", "Stehhilfe"),
)
CLUTTER = (
    Thing("chairs", "stacked chairs", "gestapelte Stühle"), Thing("boxes", "packaging boxes", "Verpackungskartons"),
    Thing("cleaning-trolley", "the cleaning trolley", "Putzwagen"), Thing("high-chairs", "high chairs", "Hochstühle"),
)
PRINTERS = (
    Thing("bakery", "the bakery printer", "Drucker in der Backstube"), Thing("kitchen", "the kitchen printer", "Küchendrucker"),
    Thing("cake-room", "the cake room printer", "Drucker im Tortenraum"), Thing("counter-tablet", "the counter tablet", "Tablet an der Theke"),
)
VOUCHERS = (
    Thing("gift-card", "gift card", "Geschenkgutschein"), Thing("newsletter-code", "newsletter code", "Newsletter-Code"),
    Thing("student-code", "student discount code", "Studentenrabatt"), Thing("christmas-voucher", "Christmas voucher", "Weihnachtsgutschein"),
    Thing("loyalty-voucher", "loyalty voucher", "Treuegutschein"),
)
DEVICES = (Thing("app", "the app", "App"), Thing("website", "the website", "Website"),
           Thing("counter-tablet", "the counter tablet", "Tablet an der Theke"), Thing("kiosk", "the order kiosk by the door", "Bestellterminal am Eingang"))

CAME_IN = {"email": "wrote", "phone": "called", "letter": "sent a letter", "in-person": "came to the counter",
           "social": "posted about it", "chat": "opened a chat"}

STATUS_TABLE = (("open", 12), ("reopened", 3), ("resolved", 50), ("recovered", 20), ("lost", 15))
# Weights in the order of the model's lists; zip(strict) fails loudly if a list grows.
CHANNEL_TABLE = tuple(zip(CHANNELS, (30, 25, 6, 17, 8, 14), strict=True))
FAULT_TABLE = tuple(zip(FAULTS, (55, 13, 17, 15), strict=True))
SEVERITY_TABLE = tuple(zip(SEVERITIES, (30, 40, 22, 8), strict=True))
# A reimbursement is drawn as an `other` and turned into one (see _accommodation), so that the demo's
# random draws, and with them every generated project, stay as they were before the kind existed.
KIND_TABLE = tuple(zip([k for k in ACCOMMODATION_KINDS if k != "reimbursement"], (18, 28, 14, 18, 15, 7), strict=True))
# Follow-up kinds of config.DEFAULT_PLAN (and of the shipped amends.yaml), plus the two tasks.
PLAN_KINDS = ("followup", "gift-card", "checkin")
SKIPPABLE = PLAN_KINDS + ("call", "letter")


@dataclass(frozen=True)
class Cause:
    """Why a complaint happened, told alike by every text of its case: the title, the story, what went wrong,
    how it was put right and the prevention. Each of its things is a cause of its own, with its own tag.

    A thing fills {thing} and {thing_de} in the texts, and the context key `slot` names (the place of a
    delivery, the item of a bake…), so that the rest of the case speaks of the same thing.
    """

    tag: str  # "{}" takes the thing's slug
    slot: str | None
    things: tuple[Thing, ...]
    titles: tuple[str, ...]
    happened: str
    found: str
    # (English, German): what the customer reads.
    wrong: tuple[str, str]
    fix: tuple[str, str]
    prevent: tuple[str, str]
    lesson: str
    promise: str
    quote: str


@dataclass(frozen=True)
class Category:
    """One kind of complaint: who handles it, how often it comes, and its causes."""

    name: str
    teams: tuple[str, ...]
    weight: int
    causes: tuple[Cause, ...]
    # The customer's own slip (fault: customer); no fault of ours claimed, and a change that helps next time.
    slips: tuple[Cause, ...]
    # About an order (most are); the order-related filler sentences fit only these.
    orders: bool = True


CATEGORIES = (
    Category(
        "Delivery problem", ("Delivery", "Wholesale", "Online orders"), 16,
        (Cause("{}-run", "place", VENUES,
               ("{Item} for {place} delivered {late} minutes late", "Delivery for the {event} at {place} missed its slot"),
               "The order for {place} left the bakery on time but went out on the regular run with five other drops instead of on its own trip.",
               "The drop at {place} was never marked as timed on the route plan, so it simply waited its turn on the run.",
               ("Your {item} went out on a shared delivery run instead of a trip of its own and reached {place} {late} minutes after the agreed time.",
                "Ihre Lieferung ist mit anderen Stopps auf einer gemeinsamen Tour gefahren statt als eigene Fahrt und kam deshalb zu spät."),
               ("We refunded the delivery charge, and {owner} brought your next order to {place} on a trip of its own.",
                "Wir haben Ihnen die Liefergebühr erstattet, und {owner} hat Ihre nächste Bestellung persönlich als eigene Fahrt gebracht."),
               ("Timed drops at {place} now always travel on a trip of their own, leaving at least 90 minutes before the agreed time.",
                "Lieferungen mit fester Uhrzeit an {thing_de} fahren jetzt immer als eigene Fahrt und starten mindestens 90 Minuten vor dem vereinbarten Termin."),
               "A timed delivery is never one more drop on a route.", "Send the next order for {place} on a trip of its own",
               "We had a room full of guests and nothing to serve them."),
         Cause("{}-route", "place", VENUES,
               ("Standing order of {item} for {place} arriving after opening", "{Item} for {place} stuck behind a road closure"),
               "Our driver {driver} found the usual road to {place} closed, waited twenty minutes and then took the long way round.",
               "The route plan to {place} still showed the old way in; nobody had checked it since the roads changed.",
               ("Our route plan to {place} did not allow for a road closure we could have known about, so your {item} arrived after you had opened.",
                "Unsere Tourenplanung hat eine angekündigte Straßensperrung auf dem Weg zu Ihnen nicht berücksichtigt, deshalb kam Ihre Lieferung erst nach Ihrer Öffnung."),
               ("We credited the delivery charges and moved your drop to the start of the early route.",
                "Wir haben Ihnen die Liefergebühren gutgeschrieben und Ihre Lieferung an den Anfang der Frühtour gelegt."),
               ("The route to {place} is now checked against the council's road closures every Friday for the week ahead.",
                "Die Route für Lieferungen an {thing_de} prüfen wir jetzt jeden Freitag gegen die angekündigten Straßensperrungen der kommenden Woche."),
               "Check the route plan whenever the roads change, not when a customer calls.",
               "Ride along on the route to {place} and report the timings",
               "I have to open at seven, and the bread came at half past."),
         Cause("{}-address", "place", VENUES,
               ("{Item} left at the old address instead of {place}", "Delivery to {place} went to the old address first"),
               "The customer had moved to {place} in the spring, but the delivery note still carried the old address, so the crates went there first.",
               "The move to {place} was entered in the order system, but not on the standing-order list the delivery notes are printed from.",
               ("Your new address at {place} had not reached the list our delivery notes are printed from, so the driver went to your old address first.",
                "Ihre neue Adresse stand noch nicht auf der Liste, aus der wir die Lieferscheine drucken, deshalb ist unser Fahrer zuerst zur alten Adresse gefahren."),
               ("We sent a fresh batch to {place} within two hours and refunded the delivery fee.",
                "Wir haben Ihnen innerhalb von zwei Stunden eine frische Lieferung an die neue Adresse gebracht und die Liefergebühr erstattet."),
               ("Your address at {place} is now on every list our delivery notes are printed from, and an address change is entered there the same day.",
                "Ihre Adresse steht jetzt auf jeder Liste, aus der wir Lieferscheine drucken, und eine neue Adresse tragen wir dort noch am selben Tag ein."),
               "An address change is not done until every list that prints it has it.", "Check every list for the new address",
               "We moved months ago. I told you twice."),
         Cause("{}-crates", "place", VENUES,
               ("Half of the {item} for {place} missing from the {day} delivery", "Crates for {place} left behind on the loading bay"),
               "Two crates for {place} stayed behind on the loading bay because the van was packed in the wrong order.",
               "The van was loaded in the old drop order, and nobody counted the crates for {place} against the delivery note before leaving.",
               ("Part of your order stayed behind on our loading bay, because nobody counted the crates for {place} before the van left.",
                "Ein Teil Ihrer Bestellung blieb an unserer Laderampe stehen, weil niemand die Kisten vor der Abfahrt mit dem Lieferschein abgeglichen hat."),
               ("{owner} drove the missing items over the same afternoon, and we refunded the delivery charge.",
                "{owner} hat Ihnen die fehlenden Waren noch am selben Nachmittag gebracht, und wir haben die Liefergebühr erstattet."),
               ("The crates for {place} are now loaded last, in drop order, and the driver ticks each one off the delivery note before leaving.",
                "Die Kisten für {thing_de} laden wir jetzt zuletzt und in der Reihenfolge der Tour, und der Fahrer hakt vor der Abfahrt jede einzeln auf dem Lieferschein ab."),
               "Load the van in drop order and count every crate before it leaves.", "Count the crates for {place} with the driver for a week",
               "Half an order is not an order.")),
        (Cause("{}-address-typo", "place", VENUES,
               ("Delivery for {place} taken to a mistyped address",),
               "The address in the order had a typing error, so our driver {driver} took everything to the address as it was written instead of to {place}.",
               "The order reached us with the typo in it; our confirmation repeated it, and nobody on either side noticed.",
               ("The delivery address in your order had a small typing error, so our driver {driver} took everything to the address as it was written.",
                "In der Lieferadresse Ihrer Bestellung war ein kleiner Tippfehler, deshalb hat unser Fahrer {driver} alles an die Adresse gebracht, die dort stand."),
               ("As a goodwill gesture we brought you the order again the next morning, to the right door at {place}, and left out the delivery fee.",
                "Aus Kulanz haben wir Ihnen die Bestellung am nächsten Morgen noch einmal an die richtige Tür gebracht, ohne Liefergebühr."),
               ("Our confirmation now shows your delivery address on a map at the top, so a typing error is easy to spot before the van leaves.",
                "Unsere Bestätigung zeigt Ihre Lieferadresse jetzt ganz oben auf einer Karte, so fällt ein Tippfehler auf, bevor der Wagen losfährt."),
               "Show the customer where we will drive, not only what they typed.", "Send a confirmation with the address on a map",
               "I must have typed it in a hurry. Still, the driver could have called."),),
    ),
    Category(
        "Product quality", ("Bakery", "Kitchen"), 14,
        (Cause("{}-freshness", "item", BAKES,
               ("Stale {item} on the {day} order", "Dry {item} for the {event}"),
               "The {item} in the order came from the previous afternoon's bake, packed the next morning as if fresh.",
               "Nobody had labelled the day-old rack, so yesterday's {item} went into the crates with the morning bake.",
               ("The {item} you received came from a bake that was a day old and should not have left the bakery.",
                "Die Ware, die Sie bekommen haben ({thing_de}), stammte vom Vortag und hätte unsere Backstube so nicht verlassen dürfen."),
               ("We baked a fresh batch of {item} the same morning and delivered it free of charge.",
                "Wir haben noch am selben Morgen frisch für Sie gebacken und Ihnen die Ware kostenlos gebracht."),
               ("Only the morning's bake of {item} now goes into delivery crates; anything older is labelled and goes to the day-old shelf.",
                "In die Lieferkisten kommen jetzt nur noch {thing_de} vom selben Morgen; alles Ältere wird gekennzeichnet und kommt ins Regal für Ware vom Vortag."),
               "Day-old bread is fine on the day-old shelf, never in a crate.", "Taste-test the next three deliveries of {item}",
               "The crust was like cardboard. My customers noticed before I did."),
         Cause("{}-oven", "item", BAKES,
               ("{Item} burnt on the bottom", "Underbaked {item} at the counter"),
               "{baker} was covering the early shift alone, and the deck used for the {item} ran hot for most of the morning.",
               "The oven log shows the deck used for the {item} running 15 degrees hot since the last service, and nobody checked it.",
               ("The oven deck we bake the {item} on was running too hot, and we did not catch it before your order was packed.",
                "Der Ofen, in dem wir diese Ware backen ({thing_de}), war zu heiß, und wir haben es nicht bemerkt, bevor Ihre Bestellung verpackt wurde."),
               ("We refunded the batch in full, and {baker} baked replacement {item} for you the next morning.",
                "Wir haben Ihnen die Ware vollständig erstattet, und {baker} hat am nächsten Morgen Ersatz für Sie gebacken."),
               ("The deck for the {item} is now checked with a probe thermometer at the start of every shift, and the reading goes in the oven log.",
                "Den Ofen für {thing_de} prüfen wir jetzt zu Beginn jeder Schicht mit einem Einstichthermometer und tragen den Wert ins Ofenbuch ein."),
               "Check the ovens every shift, not when someone complains.", "Check the oven for the {item} with a probe and report back",
               "It looked lovely and tasted of nothing but smoke."),
         Cause("{}-proving", "item", YEASTED,
               ("{Item} collapsed before serving", "Flat {item} on the {day} order"),
               "The dough for the {item} had been proved overnight in the warm corner of the bakery and lost its structure.",
               "The proving time for the {item} was written down nowhere; each shift went by feel, and the night shift left it too long.",
               ("The dough for your {item} was proved for too long, so it did not hold its shape.",
                "Der Teig für Ihre Bestellung ({thing_de}) ist zu lange gegangen und hat deshalb seine Form nicht gehalten."),
               ("We credited your account for the batch, and {baker} baked the {item} again for you the next morning.",
                "Wir haben Ihnen die Ware gutgeschrieben, und {baker} hat sie am nächsten Morgen neu für Sie gebacken."),
               ("The dough for the {item} now proves in the cold room, with the start time written on the tub.",
                "Der Teig für {thing_de} geht jetzt im Kühlraum, und die Startzeit steht auf jeder Wanne."),
               "Write the proving time on the tub, every batch.", "Send a fresh batch of {item} tomorrow morning",
               "I have bought your bread for years, and this was the first time I threw a loaf away."),
         Cause("{}-recipe", "item", BAKES,
               ("{Item} tasting different since last month", "Heavy, dense {item} for the {event}"),
               "A new supplier's flour had arrived that week, and the {item} went on sale without a test bake.",
               "The recipe card for the {item} was never adjusted for the new flour, which takes up more water.",
               ("We changed an ingredient in the {item} and did not test-bake the recipe before selling it, so it came out dense and dry.",
                "Wir haben bei dieser Ware ({thing_de}) eine Zutat gewechselt und das Rezept vor dem Verkauf nicht probegebacken; deshalb war sie fest und trocken."),
               ("We refunded your order, and {owner} brought you a batch baked to the old recipe.",
                "Wir haben Ihnen die Bestellung erstattet, und {owner} hat Ihnen eine Charge nach dem alten Rezept gebracht."),
               ("Any change of ingredient for the {item} is now test-baked and tasted by two of us before it goes on sale.",
                "Jede neue Zutat für {thing_de} wird jetzt erst probegebacken und von zwei Leuten verkostet, bevor die Ware in den Verkauf geht."),
               "A new ingredient is a new recipe: test it before we sell it.", "Bring a test batch of {item} to taste",
               "It is not what I used to buy from you.")),
        (Cause("{}-keeping", "item", BAKES,
               ("{Item} gone hard two days after purchase",),
               "The {item} had been kept for a few days at home before being eaten.",
               "The {item} left us fresh that morning; nothing on the bag said how long it keeps or how.",
               ("The {item} had been kept for a few days before being eaten, and our bakes are only at their best on the day they are made.",
                "Die Ware ({thing_de}) wurde einige Tage aufbewahrt, bevor sie gegessen wurde; unser Gebäck ist aber am Backtag am besten."),
               ("Even so, {owner} gave you fresh {item} on the house the next time you came in.",
                "Trotzdem hat {owner} Ihnen beim nächsten Besuch frische Ware geschenkt."),
               ("Every bag of {item} now has a keeping note: best on the day, two days in a paper bag somewhere cool, a month in the freezer.",
                "Jede Tüte trägt jetzt einen Hinweis zur Aufbewahrung: am Backtag am besten, zwei Tage kühl in der Papiertüte, einen Monat im Gefrierfach."),
               "Tell customers how to keep what they buy.", "Print keeping notes for the bags",
               "Bread should not go hard in two days."),),
    ),
    Category(
        "Wrong order", ("Front of house", "Online orders", "Bakery"), 16,
        (Cause("{}-handover", "event", EVENTS,
               ("{Item} for the {event} swapped with another customer's order", "{Item} handed over instead of the {event} order"),
               "Two orders for the same pick-up time sat next to each other on the shelf with only a first name on each, one of them for the {event}.",
               "The counter was three deep at {time}, and the order for the {event} was handed over without reading the slip back.",
               ("Your order for the {event} was mixed up with another customer's at the counter, so you took home the wrong {item}.",
                "Ihre Bestellung wurde an der Theke mit der eines anderen Kunden verwechselt, deshalb haben Sie die falsche Ware mitgenommen."),
               ("We made the correct order straight away, and {owner} brought it to you before the {event}.",
                "Wir haben Ihre Bestellung sofort richtig zubereitet, und {owner} hat sie Ihnen noch vor Ihrem Termin gebracht."),
               ("Every {event} order now carries the full name and the date on the box, and is read back to you at pick-up.",
                "Bestellungen für Anlässe wie Ihren ({thing_de}) tragen jetzt den vollen Namen und das Datum auf dem Karton und werden Ihnen bei der Abholung vorgelesen."),
               "Read every order back at the counter.", "Bring the correct order before the {event}",
               "Somebody else is probably eating my cake right now."),
         Cause("{}-icing", "event", EVENTS,
               ("Cake for the {event} iced with the wrong name", "Wrong words piped on the cake for the {event}"),
               "The order slip said one thing and the icing card for the {event} cake said another, and nobody compared them.",
               "The order slip and the icing card were written by two different people from the same phone call.",
               ("The words for your cake for the {event} were copied onto our icing card by hand, and copied wrongly.",
                "Die Beschriftung für Ihre Torte wurde von Hand auf unsere Karte für die Konditorei übertragen, und dabei ist ein Fehler passiert."),
               ("We iced a new cake the same afternoon and refunded the first one in full.",
                "Wir haben noch am selben Nachmittag eine neue Torte beschriftet und Ihnen die erste vollständig erstattet."),
               ("Icing cards for {event} cakes are now printed from the order system instead of written by hand.",
                "Die Karten für die Beschriftung von Torten für Anlässe wie Ihren ({thing_de}) drucken wir jetzt direkt aus dem Bestellsystem, statt sie von Hand zu schreiben."),
               "One source of truth for each order: the order system.", "Send a photo of the new icing card",
               "My daughter is called Maja, not Maria. She cried."),
         Cause("{}-changes", "event", EVENTS,
               ("Order for the {event} short of {qty} portions", "{Item} for the {event} made to the old order"),
               "The customer changed the order for the {event} two days before, but the kitchen worked from the slip printed the week before.",
               "Our order system showed the change, but the printed slip in the kitchen was from an earlier version of the order for the {event}.",
               ("The change you made to your order for the {event} did not reach the kitchen, which worked from the old slip.",
                "Ihre Änderung an der Bestellung ist nicht bis in die Küche gekommen, dort wurde nach dem alten Zettel gearbeitet."),
               ("We made up the difference the same day and refunded the price of what was missing.",
                "Wir haben das Fehlende noch am selben Tag nachgeliefert und Ihnen den Preis dafür erstattet."),
               ("A changed {event} order now prints a new kitchen slip marked CHANGED, and the old one comes off the board.",
                "Eine geänderte Bestellung für Anlässe wie Ihren ({thing_de}) druckt jetzt einen neuen Küchenzettel mit dem Vermerk GEÄNDERT, und der alte wird abgenommen."),
               "A changed order must reach the kitchen as a new slip.", "Refund the difference in price",
               "I changed the order on Tuesday and got the one from last week."),
         Cause("{}-notes", "event", EVENTS,
               ("Wrong fillings in the sandwiches for the {event}", "Note on the order for the {event} ignored"),
               "The online form sent the note about the fillings for the {event} to a field the kitchen does not print.",
               "The note was in the order all along, in a field that never appears on the kitchen slip.",
               ("Your note about the fillings for the {event} went into a field of our online form that the kitchen never sees.",
                "Ihr Hinweis zu den Füllungen landete in einem Feld unseres Onlineformulars, das die Küche nie zu sehen bekommt."),
               ("We refunded the order and gave you a voucher for your next visit.",
                "Wir haben Ihnen die Bestellung erstattet und Ihnen einen Gutschein für Ihren nächsten Besuch gegeben."),
               ("Notes on {event} orders now print on the kitchen slip in bold, above the items.",
                "Jeder Hinweis zu einer Bestellung für Anlässe wie Ihren ({thing_de}) steht jetzt fett gedruckt über den Positionen auf dem Küchenzettel."),
               "What the customer writes must reach the person who makes it.", "Send the new slip format for review",
               "I ordered vegetarian and got ham. Twice.")),
        (Cause("{}-date", "event", EVENTS,
               ("Order for the {event} ready on the wrong day",),
               "The order for the {event} reached us with a date a week away from the one the customer meant.",
               "The order as placed had the other date; our confirmation repeated it, and it went unnoticed on both sides.",
               ("The order reached us with a different date from the one you meant, so we had your {item} ready on {day} instead.",
                "Ihre Bestellung kam mit einem anderen Datum bei uns an, als Sie gemeint hatten, deshalb lag sie an einem anderen Tag für Sie bereit."),
               ("{owner} found a free slot the same afternoon and had your {item} made again for you at half price.",
                "{owner} hat noch am selben Nachmittag einen freien Platz gefunden und Ihre Bestellung zum halben Preis neu zubereiten lassen."),
               ("Our confirmations of {event} orders now give the date in words, with the weekday, at the very top, so a slip is easy to catch.",
                "Unsere Bestätigung für Anlässe wie Ihren ({thing_de}) nennt das Datum jetzt ganz oben ausgeschrieben, mit Wochentag, damit ein Versehen sofort auffällt."),
               "Make the date impossible to miss on every confirmation.", "Send a confirmation with the date written out",
               "I must have clicked the wrong week. Still, it was a shame."),),
    ),
    Category(
        "Allergen or labelling", ("Kitchen", "Bakery"), 7,
        (Cause("{}-label", None, ALLERGENS,
               ("{Item} label missing {thing}", "{Item} labelled free from {thing} contained it"),
               "The recipe for the {item} changed in spring, but the printed label in the shop still showed the old ingredients, without {thing}.",
               "The product card in the till still pointed to last year's recipe for the {item}, the one without {thing}.",
               ("The label on your {item} did not match the recipe we now use, and it did not list {thing}.",
                "Das Etikett auf Ihrer Ware passte nicht mehr zu unserem aktuellen Rezept, und {thing_de} fehlte darauf."),
               ("We apologised straight away, refunded the purchase and paid the pharmacy bill.",
                "Wir haben uns sofort entschuldigt, Ihnen den Kaufpreis erstattet und die Rechnung der Apotheke übernommen."),
               ("Labels are now printed from the recipe system, so a recipe that gains {thing} updates its label the same day.",
                "Unsere Etiketten kommen jetzt direkt aus dem Rezeptsystem; kommt {thing_de} in ein Rezept, ändert sich das Etikett noch am selben Tag."),
               "An allergen label is a promise about someone's health.", "Check every label in the shop for {thing}",
               "I trusted the label because that is what labels are for."),
         Cause("{}-trays", None, ALLERGENS,
               ("Traces of {thing} in the {item}", "{Item} baked on a tray used for {thing}"),
               "The same tray was used for the {item} and a bake with {thing} without being washed in between.",
               "The trays for bakes with {thing} look like all the others, and the rota does not say which is which.",
               ("A tray used for a bake with {thing} was not cleaned before we baked your {item} on it.",
                "Ein Blech, auf dem vorher etwas mit {thing_de} gebacken wurde, wurde nicht gereinigt, bevor wir Ihre Ware darauf gebacken haben."),
               ("{owner} met you in person to walk through what happened and what we changed, and we refunded the order.",
                "{owner} hat Sie persönlich getroffen, um zu erklären, was passiert ist und was wir geändert haben, und wir haben Ihnen die Bestellung erstattet."),
               ("Bakes with {thing} now have their own trays, marked in red, and never share a baking sheet with anything else.",
                "Gebäck mit {thing_de} hat jetzt eigene, rot markierte Bleche und teilt nie mehr ein Blech mit anderer Ware."),
               "Separate trays for every allergen, always.", "Confirm the tray separation in writing",
               "My son has an allergy. We spent the evening in A&E."),
         Cause("{}-supplier", None, ALLERGENS,
               ("Undeclared {thing} in the {item}", "Allergen sheet out of date for {item}"),
               "A new supplier's flour blend contains traces of {thing}, and the allergen sheet was not updated.",
               "The allergen sheet on the counter was printed before we changed supplier, and nobody owned keeping it up to date.",
               ("Our allergen sheet had not been updated after we changed a supplier whose flour contains traces of {thing}.",
                "Unser Allergenblatt wurde nach einem Lieferantenwechsel nicht aktualisiert; das neue Mehl enthält Spuren von {thing_de}."),
               ("We withdrew the product from sale the same day and checked every allergen sheet in the shop.",
                "Wir haben die Ware noch am selben Tag aus dem Verkauf genommen und alle Allergenblätter im Laden geprüft."),
               ("Every supplier change now triggers a check for {thing} and the other allergens, and a new allergen sheet before the first bake.",
                "Jeder Lieferantenwechsel löst jetzt eine Prüfung auf {thing_de} und die anderen Allergene aus, und vor dem ersten Backen gibt es ein neues Allergenblatt."),
               "One owner for the allergen sheet, named on the sheet.", "Send the corrected allergen sheet",
               "Free-from has to mean free-from, every time.")),
        (Cause("{}-shelf", None, ALLERGENS,
               ("{Item} with {thing} taken from the wrong shelf",),
               "The customer picked up {item} from the regular shelf, next to the ones free from {thing}, which look very much alike.",
               "The two shelves stand side by side with the same baskets; only a small card tells them apart.",
               ("The {item} you picked up came from the regular shelf rather than the one free from {thing} beside it, and the two look very much alike.",
                "Sie haben die Ware aus dem normalen Regal genommen statt aus dem daneben für Ware ohne {thing_de}; die beiden sehen sich sehr ähnlich."),
               ("We swapped it for the one you wanted and refunded what you had paid.",
                "Wir haben sie gegen die richtige Ware getauscht und Ihnen den Kaufpreis erstattet."),
               ("Bakes free from {thing} now sit behind the counter, so we hand them to you ourselves when you tell us what you need to avoid.",
                "Ware ohne {thing_de} liegt jetzt hinter der Theke; sagen Sie uns einfach, was Sie meiden müssen, dann reichen wir sie Ihnen selbst."),
               "Free-from bakes belong where we hand them over, not where they can be mixed up.",
               "Move the free-from shelf behind the counter", "They look exactly the same. How was I to know?"),),
    ),
    Category(
        "Billing", ("Accounts", "Online orders"), 9,
        (Cause("{}-double-charge", None, TILLS,
               ("Card charged twice at {thing}", "Double charge for one order of {item}"),
               "The card reader at {thing} timed out at {time}, and the payment was taken again when it was retried.",
               "The payment log shows two captures ninety seconds apart for the same order, both from the card reader at {thing}.",
               ("Your card was charged twice because the card reader at {thing} retried a payment it had already taken.",
                "Ihre Karte wurde zweimal belastet, weil unser Kartenterminal ({thing_de}) eine bereits erfolgte Zahlung noch einmal ausgelöst hat."),
               ("We refunded the second charge the same day and sent you the confirmation from the payment provider.",
                "Wir haben die zweite Abbuchung noch am selben Tag erstattet und Ihnen die Bestätigung des Zahlungsanbieters geschickt."),
               ("The card reader at {thing} now checks for an existing payment before it retries, and shows the order as paid.",
                "Das Kartenterminal ({thing_de}) prüft jetzt vor jedem neuen Versuch, ob die Zahlung schon erfolgt ist."),
               "Check the payment log before telling a customer the charge is fine.", "Send the payment provider's confirmation",
               "I should not have to chase a bakery for my own money."),
         Cause("{}-invoice", "event", EVENTS,
               ("Invoice for the {event} includes extra platters", "{Event} invoice built from the first quote"),
               "The catering invoice for the {event} listed the platters from the draft quote instead of the final order.",
               "The invoice for the {event} pulled its lines from the quote, not from the confirmed order.",
               ("Your invoice for the {event} was built from our first quote, not the order you confirmed.",
                "Ihre Rechnung wurde aus unserem ersten Angebot erstellt, nicht aus der Bestellung, die Sie bestätigt hatten."),
               ("We reissued the invoice with the confirmed items and credited the difference.",
                "Wir haben die Rechnung mit den bestätigten Positionen neu ausgestellt und Ihnen die Differenz gutgeschrieben."),
               ("Invoices for {event} orders are now built only from the confirmed order, never from a quote.",
                "Rechnungen für Anlässe wie Ihren ({thing_de}) erstellen wir jetzt nur noch aus der bestätigten Bestellung, nie aus einem Angebot."),
               "Invoices come from orders, not quotes.", "Reissue the invoice",
               "Forty euros is forty euros. Please check your invoices."),
         Cause("{}-refund", None, REFUNDS,
               ("Refund for the {item} never arrived", "Refund by {thing} stuck for three weeks"),
               "The refund by {thing} was approved but sat in the payment provider's queue because a reference was missing.",
               "Refunds by {thing} were entered without a reference, and nobody checked whether they had gone out.",
               ("Your refund by {thing} was held up on our side because a reference was missing.",
                "Ihre Erstattung ({thing_de}) hing bei uns fest, weil eine Referenz fehlte."),
               ("We pushed the refund through by hand and added a small credit for the wait.",
                "Wir haben die Erstattung von Hand angestoßen und Ihnen für die Wartezeit eine kleine Gutschrift gegeben."),
               ("Every refund by {thing} now gets a reference automatically and is checked at the end of the week until the money has arrived.",
                "Jede Erstattung ({thing_de}) bekommt jetzt automatisch eine Referenz, und wir prüfen am Ende jeder Woche, ob das Geld angekommen ist."),
               "A refund is not done until the money has arrived.", "Confirm the refund has arrived",
               "The refund was promised three weeks ago."),
         Cause("{}-price", "item", BAKES,
               ("Standing order of {item} invoiced at the new price a month early",),
               "The price change for standing orders of {item} was applied a month early by the accounts software.",
               "The new price for the {item} was entered with the date it was decided, not the date it was to take effect.",
               ("Your standing order of {item} was charged at the new price a month before the date we had told you.",
                "Ihr Dauerauftrag wurde einen Monat vor dem angekündigten Datum zum neuen Preis abgerechnet."),
               ("We credited the difference on your next invoice and apologised in writing.",
                "Wir haben Ihnen die Differenz auf der nächsten Rechnung gutgeschrieben und uns schriftlich entschuldigt."),
               ("A new price for the {item} is now entered with the date it takes effect, and a second person checks it against the letter we sent.",
                "Einen neuen Preis für {thing_de} tragen wir jetzt mit dem Datum ein, ab dem er gilt, und eine zweite Person gleicht ihn mit unserem Schreiben ab."),
               "A price change takes effect on the date we promised, not the day we decided it.",
               "Credit the difference on the next invoice", "You told us March. The invoice said February.")),
        (Cause("{}-paid-twice", "event", EVENTS,
               ("Invoice for the {event} paid twice",),
               "The invoice for the {event} was paid by bank transfer and again by card at the counter a few days later.",
               "Both payments went through; nothing on the invoice said that a transfer takes a few days to show.",
               ("Your invoice for the {event} was paid twice, once by transfer and once by card, an easy slip when a payment takes a few days to show.",
                "Ihre Rechnung wurde zweimal bezahlt, einmal per Überweisung und einmal mit Karte; das passiert leicht, wenn eine Überweisung ein paar Tage braucht."),
               ("We refunded the second payment in full the day you told us.",
                "Wir haben Ihnen die zweite Zahlung noch am selben Tag vollständig erstattet."),
               ("Our invoices for {event} orders now say that a transfer takes up to three days to show, and we email you as soon as a payment arrives.",
                "Auf unseren Rechnungen für Anlässe wie Ihren ({thing_de}) steht jetzt, dass eine Überweisung bis zu drei Tage braucht, und wir schicken Ihnen eine E-Mail, sobald Ihre Zahlung da ist."),
               "Tell customers when their payment has arrived.", "Refund the second payment",
               "I thought the transfer had not gone through."),),
    ),
    Category(
        "Service", ("Front of house", "Catering"), 6,
        (Cause("{}-rota", "day", DAYS,
               ("Twenty-five-minute queue for a coffee on {day}", "Queue to the door during the {day} rush"),
               "The café was a person short on {day} and the queue reached the door by {time}.",
               "The {day} rota had one person on the counter during the busiest hour of the week.",
               ("We had only one person on the counter during the {day} rush, which kept you waiting far too long.",
                "Am {thing_de} stand während des größten Andrangs nur eine Person an der Theke, deshalb mussten Sie viel zu lange warten."),
               ("{owner} called you to apologise in person and invited you back as our guest.",
                "{owner} hat Sie angerufen, um sich persönlich zu entschuldigen, und Sie als unseren Gast wieder eingeladen."),
               ("The {day} rush now always has two people on the counter, written into the rota.",
                "Am {thing_de} stehen während des Andrangs jetzt immer zwei Personen an der Theke; so steht es im Dienstplan."),
               "Staff the rota for the busiest hour, not the average one.", "Send the new {day} rota",
               "Nobody said a word. We just stood there."),
         Cause("{}-breakdown", None, MACHINES,
               ("Queue left waiting in silence while {thing} was down",),
               "The queue waited twenty minutes while {thing} was down, and nobody told the people waiting.",
               "There was no routine for telling a queue that {thing} had gone down.",
               ("When {thing} went down, nobody told you why you were waiting, which made a long wait worse.",
                "Als {thing_de} ausfiel, hat Ihnen niemand gesagt, warum Sie warten mussten; das hat das lange Warten noch schlimmer gemacht."),
               ("We apologised, refunded your order and talked the matter through with the team.",
                "Wir haben uns entschuldigt, Ihnen die Bestellung erstattet und den Vorfall mit dem Team besprochen."),
               ("When {thing} goes down, whoever is on the counter now tells the queue at once and offers what we can still serve.",
                "Fällt {thing_de} aus, sagt die Person an der Theke jetzt sofort der Schlange Bescheid und bietet an, was wir noch servieren können."),
               "Tell the queue what is going on, always.", "Talk the matter through with the team and report back",
               "Ten minutes of silence, then a shrug."),
         Cause("{}-message", None, MESSAGES,
               ("Phone call about the {item} never returned", "Message about the {event} never answered"),
               "The message was left {thing} and never reached anyone who could call back.",
               "Messages left {thing} were nobody's job to check, so this one waited.",
               ("Your message was left {thing} and never passed on, so nobody called you back.",
                "Ihre Nachricht ist bei uns liegen geblieben ({thing_de}) und wurde nie weitergegeben, deshalb hat Sie niemand zurückgerufen."),
               ("We sent a written apology and a gift card for your next visit.",
                "Wir haben Ihnen eine schriftliche Entschuldigung und einen Gutschein für Ihren nächsten Besuch geschickt."),
               ("Messages left {thing} now go into the case system the same hour, and someone checks them every afternoon.",
                "Nachrichten ({thing_de}) kommen jetzt noch in derselben Stunde in unser Fallsystem, und jeden Nachmittag sieht jemand sie durch."),
               "A message that is not written down in the system is lost.", "Call back personally",
               "I called twice and left my number twice."),
         Cause("{}-training", None, ROLES,
               ("Rude reply {thing} during the {time} rush", "Complaint about the {event} dismissed {thing}"),
               "A new member of staff {thing} answered the complaint with a shrug and a joke.",
               "Nobody had shown the new staff {thing} how we handle a complaint; they were left to find their own way.",
               ("One of our new team {thing} answered your concern in a way that was dismissive, and that is not how we want to treat anyone.",
                "Jemand Neues aus unserem Team ({thing_de}) hat auf Ihr Anliegen abweisend reagiert, und so wollen wir mit niemandem umgehen."),
               ("{owner} called you to apologise and talked the matter through with the team.",
                "{owner} hat Sie angerufen, um sich zu entschuldigen, und den Vorfall mit dem Team besprochen."),
               ("Everyone new {thing} now learns how we handle complaints in their first week, before working a shift alone.",
                "Wer bei uns neu anfängt ({thing_de}), lernt jetzt in der ersten Woche, wie wir mit Beschwerden umgehen, bevor er oder sie allein arbeitet."),
               "Complaints are a chance, not an attack; we train for that.", "Send the new staff induction plan",
               "I was made to feel like a nuisance for asking a simple question.")),
        (Cause("{}-booking", None, BOOKED,
               ("No table kept for a booking made {thing}",),
               "The customer arrived for a table booked {thing}, but the booking was for {day}, not that day.",
               "The booking as made had the other day in it; nothing in our confirmation made the slip easy to see.",
               ("Your booking, made {thing}, was for {day}, not the day you came, so there was no table kept for you when you arrived.",
                "Ihre Reservierung ({thing_de}) galt für einen anderen Tag als den, an dem Sie kamen, deshalb war kein Tisch für Sie frei."),
               ("{owner} called you to talk it through and kept a table for you on your next visit.",
                "{owner} hat Sie angerufen, um darüber zu sprechen, und Ihnen beim nächsten Besuch einen Tisch freigehalten."),
               ("Every booking made {thing} is now confirmed back to you with the weekday and the date written out, so a slip shows at once.",
                "Jede Reservierung ({thing_de}) bestätigen wir Ihnen jetzt mit ausgeschriebenem Wochentag und Datum, damit ein Versehen sofort auffällt."),
               "Confirm every booking with the weekday written out.", "Keep a table for the next visit",
               "I was sure I had said Saturday."),),
        orders=False,
    ),
    Category(
        "Food safety", ("Kitchen", "Bakery"), 4,
        (Cause("{}-hairnets", None, STATIONS,
               ("Hair found in the {item}", "Hair in the {item} for the {event}"),
               "The hairnets had run out at {thing} and a replacement box was still in the van.",
               "Nobody checked the hairnets and gloves at {thing}; they were restocked whenever someone noticed.",
               ("A hygiene rule was not followed at {thing} when your {item} was made, because the hairnets had run out.",
                "Bei der Zubereitung Ihrer Ware wurde eine Hygieneregel nicht eingehalten ({thing_de}), weil die Haarnetze ausgegangen waren."),
               ("We refunded the order, apologised and reported the matter to our food safety adviser.",
                "Wir haben Ihnen die Bestellung erstattet, uns entschuldigt und den Vorfall unserer Beraterin für Lebensmittelsicherheit gemeldet."),
               ("Hairnets and gloves for {thing} are now stocked in two places and checked at every shift change.",
                "Haarnetze und Handschuhe ({thing_de}) liegen jetzt an zwei Stellen bereit und werden bei jedem Schichtwechsel geprüft."),
               "Hygiene rules only work if the supplies are there.", "Share the food safety adviser's findings",
               "I found it on the second bite."),
         Cause("broken-{}", None, TOOLS,
               ("Plastic found in the {item}", "Fragment of a tool in the {item}"),
               "A piece of {thing} broke off and went into the dough without anyone noticing.",
               "The crack in {thing} had been reported a week earlier, but nobody replaced it.",
               ("A piece of {thing} broke off while your {item} was made; the damage had been reported, and we should have replaced it.",
                "Während Ihre Ware zubereitet wurde, ist ein Stück von einem Werkzeug abgebrochen ({thing_de}); der Schaden war gemeldet, und wir hätten es ersetzen müssen."),
               ("We withdrew the batch, replaced the order and showed you the maintenance records.",
                "Wir haben die Charge zurückgezogen, Ihre Bestellung ersetzt und Ihnen die Wartungsunterlagen gezeigt."),
               ("Damage to {thing} is now put right the same day, the part replaced and the repair logged in the maintenance book.",
                "Ein beschädigtes Werkzeug ({thing_de}) wird jetzt noch am selben Tag ersetzt und im Wartungsbuch eingetragen."),
               "Report it and replace it the same day.", "Send the maintenance records",
               "I posted the photo because I did not know what else to do."),
         Cause("{}-use-by", None, SHELVES,
               ("{Item} sold past its use-by date", "Mould on the {item} the day after purchase"),
               "Nobody checked {thing} at opening, so yesterday's {item} stayed on sale.",
               "The opening checklist for {thing} had not been signed for four days.",
               ("We sold you the {item} after its use-by date, because the opening check of {thing} was missed.",
                "Wir haben Ihnen Ware nach Ablauf des Verbrauchsdatums verkauft, weil die Kontrolle bei Ladenöffnung ({thing_de}) ausgefallen ist."),
               ("We refunded the order, and {owner} visited you with a replacement and the findings of our check.",
                "Wir haben Ihnen die Bestellung erstattet, und {owner} hat Ihnen Ersatz und die Ergebnisse unserer Prüfung vorbeigebracht."),
               ("The use-by dates of everything in {thing} are now checked at opening and at noon, and signed for.",
                "Wir kontrollieren jetzt bei Ladenöffnung und mittags jedes Datum ({thing_de}) und zeichnen die Kontrolle ab."),
               "A checklist nobody signs is no checklist.", "Send the signed shelf checklist",
               "It looked fine until I cut it open."),
         Cause("{}-cold-chain", None, VEHICLES,
               ("Cold chain broken on the platters for the {event}", "Chilled platters delivered warm in {thing}"),
               "The platters travelled in {thing} for an hour with the cooling switched off.",
               "The cooling in {thing} is switched on by hand, and nothing reminds the driver to do it.",
               ("Your platters were not kept cold enough in {thing} on the way to your {event}.",
                "Ihre Platten wurden auf dem Weg zu Ihnen nicht ausreichend gekühlt ({thing_de})."),
               ("We took the platters back, refunded them in full and replaced what we could the same day.",
                "Wir haben die Platten zurückgenommen, vollständig erstattet und noch am selben Tag ersetzt, was möglich war."),
               ("Chilled food now travels in {thing} only with a logger that beeps above five degrees, checked by the driver before leaving.",
                "Gekühlte Ware fährt jetzt nur noch mit einem Temperaturlogger, der über fünf Grad piept ({thing_de}); der Fahrer prüft ihn vor der Abfahrt."),
               "Cold food stays cold all the way, and we can prove it.", "Share the temperature log",
               "We had to throw the whole tray away in front of our guests.")),
        (Cause("{}-storage", "item", CHILLED,
               ("Mould on the {item} after a day out of the fridge",),
               "The {item} had stayed out of the fridge for most of a warm afternoon before being eaten.",
               "The box said nothing about keeping the {item} cold, and nobody mentioned it at the counter.",
               ("The {item} had been kept out of the fridge for some hours, and chilled bakes need to stay cold to keep.",
                "Die Ware ({thing_de}) stand einige Stunden außerhalb des Kühlschranks, und gekühltes Gebäck muss kalt bleiben, damit es sich hält."),
               ("Even so, we refunded the {item}, and {owner} called to explain how to keep chilled bakes.",
                "Trotzdem haben wir Ihnen die Ware erstattet, und {owner} hat Sie angerufen, um zu erklären, wie man gekühltes Gebäck aufbewahrt."),
               ("Boxes of {item} now carry a 'keep in the fridge' sticker, and we say so at the counter when we hand them over.",
                "Auf den Kartons ({thing_de}) klebt jetzt ein Hinweis „im Kühlschrank aufbewahren“, und wir sagen es Ihnen an der Theke auch noch einmal."),
               "Say 'keep it cold' when we hand over anything chilled.", "Print keep-cold stickers for the boxes",
               "Nobody told me it had to go in the fridge."),),
    ),
    Category(
        "Catering event", ("Catering", "Delivery", "Kitchen"), 8,
        (Cause("{}-portions", None, DIETS,
               ("Short of {thing} portions at the {event}", "Too few {thing} dishes at the {event}"),
               "The order asked for 40 portions with 12 {thing}, but the kitchen list showed only 4 {thing}.",
               "The kitchen list was typed from the first enquiry, not from the confirmed order with its {thing} portions.",
               ("The kitchen worked from an early version of your order and made too few of the {thing} portions you asked for.",
                "Die Küche hat nach einer frühen Fassung Ihrer Bestellung gearbeitet und zu wenige Portionen zubereitet ({thing_de})."),
               ("We refunded the missing portions, and {owner} sent a fresh tray within the hour.",
                "Wir haben Ihnen die fehlenden Portionen erstattet, und {owner} hat innerhalb einer Stunde ein frisches Tablett geschickt."),
               ("The {thing} portions of every event order are now confirmed back to you in writing, and the kitchen list is made from that confirmation.",
                "Die Portionen ({thing_de}) jeder Veranstaltung bestätigen wir Ihnen jetzt schriftlich, und die Küchenliste entsteht aus genau dieser Bestätigung."),
               "Confirm portions in writing, every event.", "Send the written event confirmation",
               "Half of my colleagues ate bread rolls for lunch."),
         Cause("{}-hot-boxes", None, DISHES,
               ("Hot {thing} cold at the {event}",),
               "The hot boxes with the {thing} were packed an hour early so the driver could make another drop on the way.",
               "Nobody had set a time for packing the {thing}; the boxes were filled when the kitchen had a moment.",
               ("Your {thing} was packed too early and was no longer warm when it reached you.",
                "Ihr warmes Essen ({thing_de}) wurde zu früh verpackt und war nicht mehr warm, als es bei Ihnen ankam."),
               ("We refunded a third of the catering bill and apologised to you and your guests.",
                "Wir haben Ihnen ein Drittel der Catering-Rechnung erstattet und uns bei Ihnen und Ihren Gästen entschuldigt."),
               ("Hot {thing} now leaves the kitchen no earlier than 30 minutes before serving, on a trip of its own.",
                "Warmes Essen ({thing_de}) verlässt die Küche jetzt frühestens 30 Minuten vor dem Servieren, auf einer eigenen Fahrt."),
               "Hot food travels last and fast.", "Agree the packing time for the next event",
               "The food was lovely, and cold."),
         Cause("missing-{}", None, KIT,
               ("Catering for the {event} arrived without {thing}",),
               "The crate with {thing} was on the checklist, but the checklist stayed in the office.",
               "The packing checklist was on paper in the office, and the team packed {thing} from memory.",
               ("We forgot {thing} for your {event}: our checklist stayed in the office and the team packed from memory.",
                "Wir haben etwas vergessen ({thing_de}): Unsere Packliste lag im Büro, und das Team hat aus dem Gedächtnis gepackt."),
               ("{owner} drove {thing} over within the hour, and we took the delivery fee off the bill.",
                "{owner} hat das Fehlende innerhalb einer Stunde nachgebracht, und wir haben die Liefergebühr von der Rechnung genommen."),
               ("The packing list now travels with every event order, and the driver ticks off {thing} at the van before it leaves.",
                "Die Packliste fährt jetzt bei jeder Veranstaltung mit, und der Fahrer hakt am Wagen alles einzeln ab ({thing_de} zuerst)."),
               "A checklist in the office packs nothing.", "Send the packing list for the next event",
               "We ate canapés with our fingers in front of the board."),
         Cause("{}-set-up", "place", VENUES,
               ("Buffet for the {event} at {place} set up after the guests arrived",),
               "The team arrived at {place} at {time}, when the guests were already at the tables.",
               "The set-up time in the booking was the start of the event, not the time {place} opened its doors to us.",
               ("Our team arrived at {place} later than your guests, so the buffet was not ready in time.",
                "Unser Team kam nach Ihren Gästen an, deshalb war das Buffet nicht rechtzeitig fertig."),
               ("We offered a discount on your next event and agreed a new set-up plan together.",
                "Wir haben Ihnen einen Rabatt auf Ihre nächste Veranstaltung angeboten und gemeinsam einen neuen Aufbauplan vereinbart."),
               ("Set-up times at {place} are now agreed with the venue directly, with a 45-minute buffer.",
                "Aufbauzeiten für {thing_de} stimmen wir jetzt direkt mit dem Haus ab, mit 45 Minuten Puffer."),
               "Agree set-up times with the venue, not just the host.", "Agree the set-up plan for the next event",
               "We were embarrassed in front of our most important clients.")),
        (Cause("{}-guest-count", "event", EVENTS,
               ("Canapés for the {event} ran out in twenty minutes",),
               "The {event} had grown to twice the guests in the order, and nobody had told us.",
               "We made exactly what the order said; the final guest count never reached us.",
               ("We made the order for your {event} for the number of guests it gave, and more guests came than that.",
                "Wir haben genau für die Gästezahl in Ihrer Bestellung zubereitet, und es kamen mehr Gäste als angegeben."),
               ("{owner} sent extra trays within the hour at cost price.",
                "{owner} hat innerhalb einer Stunde zusätzliche Platten zum Selbstkostenpreis geschickt."),
               ("We now ask for the final guest count three days before every {event}, by email, so a late change still reaches the kitchen.",
                "Wir fragen jetzt drei Tage vor jeder Veranstaltung wie Ihrer ({thing_de}) per E-Mail nach der endgültigen Gästezahl, damit eine späte Änderung noch die Küche erreicht."),
               "Ask for the final guest count before the kitchen starts.", "Ask for the final guest count before the next event",
               "More people came than we expected. I should have called."),),
    ),
    Category(
        "Accessibility", ("Front of house",), 3,
        (Cause("ramp-{}", None, BLOCKERS,
               ("Ramp at the café entrance blocked by {thing}", "Letter about {thing} on the ramp"),
               "The ramp was blocked by {thing} from the morning until {time}.",
               "Nobody owned checking the ramp, so {thing} stayed there for hours.",
               ("The ramp at our entrance was blocked by {thing}, so you could not get in without help.",
                "Die Rampe an unserem Eingang war versperrt ({thing_de}), deshalb kamen Sie nicht ohne Hilfe herein."),
               ("We apologised, cleared the ramp and found {thing} a place away from it.",
                "Wir haben uns entschuldigt, die Rampe freigeräumt und einen anderen Platz dafür gefunden."),
               ("The ramp is now checked at opening and every two hours, and there is a marked place for {thing} away from it.",
                "Wir prüfen die Rampe jetzt bei Ladenöffnung und alle zwei Stunden, und es gibt einen markierten Platz dafür ({thing_de}), weit weg vom Eingang."),
               "Accessible means accessible every hour, not only on opening day.", "Report back on the new entrance routine",
               "I should not have to ask strangers to lift me in."),
         Cause("{}-tables", "event", EVENTS,
               ("No space for a wheelchair at the tables after the {event}",),
               "The tables had been moved closer together for the {event} and never moved back.",
               "The floor plan for the {event} never included a space for wheelchairs, and nobody put the room back.",
               ("Our tables were still set close together after the {event}, too close for you to get through.",
                "Unsere Tische standen nach einer Veranstaltung noch zu eng, sodass Sie nicht durchkamen."),
               ("{owner} invited you back and reserved an accessible table for your next visit.",
                "{owner} hat Sie wieder eingeladen und für Ihren nächsten Besuch einen barrierefreien Tisch reserviert."),
               ("The floor plan for any {event} now keeps two tables wheelchair-accessible, and the room is put back the same evening.",
                "Auch bei Veranstaltungen wie dieser ({thing_de}) bleiben jetzt zwei Tische mit dem Rollstuhl erreichbar, und der Raum wird noch am selben Abend zurückgestellt."),
               "Keep the way through clear, whatever the room is set for.", "Reserve an accessible table",
               "I have been coming here for years and I cannot get to my usual table."),
         Cause("{}-missing", None, AIDS,
               ("Visit spoilt by a missing {thing}",),
               "The {thing} had not been in its place for weeks, and nobody had noticed.",
               "Nobody counted the {thing}, so its absence only came up when a customer needed it.",
               ("We did not have the {thing} ready for you, which we should always have.",
                "Wir hatten das Hilfsmittel ({thing_de}) nicht für Sie bereit, und das sollten wir immer haben."),
               ("We replaced the {thing} the same week, and {owner} wrote to let you know.",
                "Wir haben das Hilfsmittel noch in derselben Woche ersetzt, und {owner} hat Ihnen geschrieben."),
               ("The {thing} now has a fixed place at the till and is counted every Monday.",
                "Das Hilfsmittel ({thing_de}) hat jetzt einen festen Platz an der Kasse und wird jeden Montag kontrolliert."),
               "Ask customers with access needs what works for them.", "Send word when the {thing} is back",
               "Please think about people like me."),
         Cause("toilet-{}", None, CLUTTER,
               ("Accessible toilet used as a store room for {thing}",),
               "After a weekend event the accessible toilet was used to store {thing}.",
               "There was nowhere else to put {thing}, and the accessible toilet was the nearest door.",
               ("Our accessible toilet was blocked with {thing}, so you could not use it.",
                "Unsere barrierefreie Toilette war zugestellt ({thing_de}), deshalb konnten Sie sie nicht benutzen."),
               ("We cleared the toilet the same hour, apologised and invited you back as our guest.",
                "Wir haben die Toilette noch in derselben Stunde freigeräumt, uns entschuldigt und Sie als unseren Gast eingeladen."),
               ("There is now a marked place for {thing} in the cellar, and the accessible toilet is checked at opening and after every event.",
                "Dafür ({thing_de}) gibt es jetzt einen festen Platz im Keller, und die barrierefreie Toilette wird bei Ladenöffnung und nach jeder Veranstaltung geprüft."),
               "An accessible toilet is never a store room.", "Confirm the new storage place in writing",
               "I had to cut my visit short.")),
        (Cause("access-{}", None, BOOKED,
               ("Table booked {thing} out of reach for a wheelchair",),
               "The table was booked {thing} with no word about a wheelchair, and it was the one on the raised part of the room.",
               "Our booking never asked about access needs, so the table was given out in the usual order.",
               ("Your booking, made {thing}, did not mention a wheelchair, so we had given you a table on the raised part of the room.",
                "Bei Ihrer Reservierung ({thing_de}) war kein Rollstuhl erwähnt, deshalb hatten wir Ihnen einen Tisch im erhöhten Teil des Raums gegeben."),
               ("We moved you to a table downstairs at once, and {owner} offered your coffee on the house.",
                "Wir haben Sie sofort an einen Tisch unten gesetzt, und {owner} hat Sie zum Kaffee eingeladen."),
               ("Every booking made {thing} now asks whether anyone in your party needs step-free access.",
                "Bei jeder Reservierung ({thing_de}) fragen wir jetzt, ob jemand in Ihrer Gruppe einen stufenlosen Zugang braucht."),
               "Ask about access needs at booking, every time.", "Add the access question to the booking form",
               "I did not think I needed to say it."),),
        orders=False,
    ),
    Category(
        "Online ordering", ("Online orders",), 4,
        (Cause("orders-to-{}", None, PRINTERS,
               ("Online order for {item} never made", "Paid online order for the {event} never reached the kitchen"),
               "The online shop took the order and the payment, but the order never reached {thing}.",
               "The [order system](https://example.com/orders/{order}) shows the order as paid but never sent to {thing}.",
               ("Our online shop accepted your order but did not pass it on to {thing}, so nobody made it.",
                "Unser Onlineshop hat Ihre Bestellung angenommen, aber nicht weitergegeben ({thing_de}), deshalb hat sie niemand zubereitet."),
               ("We made your order by hand and delivered it free of charge.",
                "Wir haben Ihre Bestellung von Hand zubereitet und Ihnen kostenlos gebracht."),
               ("The shop now alerts us if a paid order has not reached {thing} within five minutes.",
                "Der Shop warnt uns jetzt, wenn eine bezahlte Bestellung nicht innerhalb von fünf Minuten angekommen ist ({thing_de})."),
               "Every paid order must reach the people who make it, with an alert when it does not.", "Deliver the order by hand",
               "The website said confirmed. Nothing was confirmed."),
         Cause("{}-stock", "item", BAKES,
               ("Online shop showed {item} in stock when it was sold out",),
               "The stock count for the {item} was only updated at closing time, so the shop kept selling it.",
               "The stock sync for the {item} between the till and the online shop had been failing silently since {day}.",
               ("Our website showed the {item} as available when we had already sold out.",
                "Unsere Website hat die Ware ({thing_de}) noch als verfügbar angezeigt, als sie längst ausverkauft war."),
               ("We refunded the order and kept a batch of {item} back for you the next morning.",
                "Wir haben Ihnen die Bestellung erstattet und am nächsten Morgen Ware für Sie zurückgelegt."),
               ("Stock of {item} now syncs between the till and the shop every ten minutes, and the shop stops selling at the last five.",
                "Der Bestand für {thing_de} wird jetzt alle zehn Minuten zwischen Kasse und Shop abgeglichen, und der Shop hört bei den letzten fünf auf zu verkaufen."),
               "One stock count for the till and the website.", "Confirm the stock sync is fixed",
               "It would be nice if your shop knew what you have in the shop."),
         Cause("{}-slots", "day", DAYS,
               ("Pick-up slot double-booked at {time} on {day}",),
               "The pick-up slots on {day} were not capped, so six orders were promised for the same ten minutes.",
               "The {day} slots were set up by hand for a quiet week and never capped again.",
               ("Our online shop promised more pick-ups for your slot on {day} than the counter could hand over, so you had to wait.",
                "Unser Onlineshop hat für Ihr Abholfenster am {thing_de} mehr Abholungen zugesagt, als die Theke schaffen konnte, deshalb mussten Sie warten."),
               ("We called you as soon as we saw the problem and offered a new slot with a discount.",
                "Wir haben Sie angerufen, sobald wir das Problem gesehen haben, und Ihnen ein neues Abholfenster mit Rabatt angeboten."),
               ("Pick-up slots on {day} are now capped at three orders per ten minutes.",
                "Abholfenster am {thing_de} sind jetzt auf drei Bestellungen pro zehn Minuten begrenzt."),
               "Promise only the pick-ups the counter can hand over.", "Offer a new pick-up slot",
               "I paid online so that I would not have to queue."),
         Cause("checkout-{}", None, VOUCHERS,
               ("Online checkout refused the {thing}",),
               "The {thing} was issued in the old till system and never imported into the online shop.",
               "Codes for the {thing} lived only in the old till system; nobody had moved them across.",
               ("Your {thing} was not set up in our online shop, so checkout refused it.",
                "Ihr Gutschein ({thing_de}) war in unserem Onlineshop nicht eingerichtet, deshalb hat die Kasse ihn abgelehnt."),
               ("We refunded the order and added the voucher value as credit on your account.",
                "Wir haben Ihnen die Bestellung erstattet und den Wert des Gutscheins Ihrem Kundenkonto gutgeschrieben."),
               ("Every new {thing} is now tested at the online checkout before it goes out to customers.",
                "Jeder neue Gutschein ({thing_de}) wird jetzt an der Onlinekasse getestet, bevor er an Kunden geht."),
               "Test the checkout with real vouchers after every change.", "Credit the voucher value",
               "A voucher that does not work is worse than no voucher.")),
        (Cause("{}-email-typo", None, DEVICES,
               ("Order confirmation email sent to the wrong address",),
               "The order came in through {thing} with a letter missing from the email address, so the confirmation bounced.",
               "The bounce landed in the shop's inbox, where nobody looks; the order itself went through.",
               ("The email address in your order had a letter missing, so our confirmation went nowhere and you could not know the order had gone through.",
                "In der E-Mail-Adresse Ihrer Bestellung fehlte ein Buchstabe, deshalb kam unsere Bestätigung nie bei Ihnen an."),
               ("{owner} called you to confirm the order, and we added a small credit for the worry.",
                "{owner} hat Sie angerufen, um die Bestellung zu bestätigen, und wir haben Ihnen für den Ärger eine kleine Gutschrift gegeben."),
               ("Orders through {thing} now ask for the email address twice, and a bounced confirmation alerts the counter.",
                "Bestellungen ({thing_de}) fragen die E-Mail-Adresse jetzt zweimal ab, und eine unzustellbare Bestätigung meldet sich an der Theke."),
               "A bounced confirmation is a customer left in the dark.", "Confirm the order by phone",
               "I thought the order had failed and nearly paid twice."),),
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
    "{driver} was on the route that morning and remembers the drop.",
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
    "We looked through the earlier cases in this category for the same trouble before closing this one.",
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
    "We went through the order line by line with the team to see where it went wrong.",
    "We compared the delivery log with the order slip, line by line.",
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
# Read by the customer, in brackets after what was given: "a refund of 12.50 EUR (for the delivery fee you paid)";
# a replacement's or a gesture's note names the thing itself, a reimbursement's what the cost was for.
ACCOMMODATION_NOTES = {
    "credit": ("taken off your next invoice", "credited to your account for your next order",
               "for the delivery charges you paid on those mornings"),
    "refund": ("for your whole order", "for the delivery fee you paid", "for the items that never reached you"),
    "gift-card": ("for a treat on your next visit", "to spend on anything in the café", "with our thanks for your patience"),
    "discount": ("off your next order", "15 percent off your next event order", "off next month's standing order"),
    "replacement": ("a fresh batch, brought to your door", "the same order, baked again for you that day",
                    "the right order, made and brought to you"),
    "reimbursement": ("for the taxi you had to take", "for the pharmacy bill", "for the cake you had to buy elsewhere"),
    "other": ("flowers, with a handwritten note", "your coffee on the house for a month",
              "a cake for you and your team"),
}
ACCOMMODATION_NOTES_DE = {
    "credit": ("auf Ihrer nächsten Rechnung verrechnet", "als Guthaben für Ihre nächste Bestellung"),
    "refund": ("für Ihre gesamte Bestellung", "für die Liefergebühr, die Sie bezahlt haben"),
    "gift-card": ("für Ihren nächsten Besuch bei uns", "als Dankeschön für Ihre Geduld"),
    "discount": ("auf Ihre nächste Bestellung", "auf Ihren nächsten Monat im Dauerauftrag"),
    "replacement": ("eine frisch gebackene Lieferung, bis an Ihre Tür gebracht", "die richtige Bestellung, noch am selben Tag neu zubereitet"),
    "reimbursement": ("für das Taxi, das Sie nehmen mussten", "für die Rechnung der Apotheke"),
    "other": ("einen Blumenstrauß mit einer handgeschriebenen Karte", "einen Monat Kaffee auf unsere Kosten"),
}
GIFT_CODE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread

# "We are sorry about …": what happened, in the customer's terms, per category; each fits every cause of it.
ABOUT = {
    "Delivery problem": ("what went wrong with your delivery on {day}", "the delivery of your {item}, which did not go as we promised",
                         "the trouble with your delivery to {place}"),
    "Product quality": ("the {item} that did not meet our standard", "the quality of the {item} you had from us"),
    "Wrong order": ("the mix-up with your order", "what went wrong with your order for the {event}"),
    "Allergen or labelling": ("the allergen problem with your {item}", "the {thing} in the {item} you bought from us"),
    "Billing": ("the mistake with your bill", "the trouble with your payment"),
    "Service": ("the way we let you down at the café", "the service you had from us on {day}"),
    "Food safety": ("the problem with the {item} you bought from us", "what happened with your {item}"),
    "Catering event": ("what went wrong with the catering at your {event}", "the catering at your {event}"),
    "Accessibility": ("the trouble you had getting into and around our café", "the barriers you met at our café"),
    "Online ordering": ("the trouble with your online order", "what went wrong with your order in our online shop"),
}
ABOUT_DE = ("die Panne bei Ihrer Bestellung", "die Unannehmlichkeiten mit Ihrer letzten Bestellung",
            "die Enttäuschung bei Ihrem letzten Einkauf bei uns")

# When nobody could find out where it went wrong: said plainly, and treated as ours.
UNCLEAR_WRONG = (
    "We have not been able to find out for certain where things went wrong with your {item}: our records and your account differ, and nobody on the day remembers it clearly. Rather than argue about it, we have treated it as our mistake.",
    "We could not establish whether the problem started with us or on the way to you, so we have treated it as our own.",
)
# German-speaking customers read their texts in German (case texts are used as written); a cause's own
# texts carry both languages.
WRONG_DE_UNCLEAR = (
    "Wir konnten nicht sicher klären, an welcher Stelle es schiefgelaufen ist. Statt darüber zu streiten, behandeln wir es als unseren Fehler.",
)
STORY = ("what_went_wrong", "how_resolved", "prevention")
# A cause whose prevention was promised in a team and category comes back there this much less often than
# one not yet promised.
RECURS = 0.02
# The share of a customer's later cases that bring back an earlier trouble of theirs.
AGAIN = 0.1
PROMISE_GENERIC = ("Send a written summary of what we found", "Call back within two working days", "Check the next order personally")
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
    # A first name only where that is how we speak to them; German customers keep the formal greeting,
    # by title where we know it, else by their full name, as the owner chose.
    if language == "de":
        return f"{title} {surname}" if first in FEMALE or first in MALE else name
    return first if 0.12 <= roll < 0.3 else None


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


def _person(rng: random.Random, names: set[str], emails: set[str], intl: bool) -> Person:
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
        person = _person(rng, names, emails, intl=first_one or rng.random() < 0.2)
        slots += [person] * (rng.choice((2, 2, 2, 3, 3, 4)) if repeat else 1)
    slots = slots[:n]
    rng.shuffle(slots)
    return slots


# -- one case ------------------------------------------------------------------------

@dataclass
class Draft:
    """Everything about one case, before it is written out; the cause and the words come last."""

    person: Person
    kind: str  # a status, or 'reopened'
    channel: str
    opened: date
    resolved: date | None
    status: str
    fault: str
    severity: str
    owner: str
    team: str
    category: Category
    told: int  # how many of STORY the case says
    # The same customer's case whose trouble this one is again.
    recurs: Draft | None = None
    cause: Cause | None = None
    thing: Thing | None = None
    title: str = ""
    context: dict = field(default_factory=dict)
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
        if what == "other" and item["amount"] and (index + position) % 3 == 0:
            paid = notes["reimbursement"]
            item.update(kind="reimbursement", note=paid[(index + position) % len(paid)])
        if what == "gift-card":
            item.update(_gift_card(rng, d, today))
        out.append(item)
    return out


def _promises(rng: random.Random, d: Draft, today: date) -> list[dict]:
    """Promises made to the customer: kept, broken, or still pending."""
    out = []
    for _ in range(rng.choices(range(4), (35, 40, 20, 5))[0]):
        what = rng.choice((d.cause.promise,) + PROMISE_GENERIC).format_map(d.context)
        due = d.opened + timedelta(days=rng.randint(1, 21))
        settled = d.resolved is not None and d.status != "open"
        kept = rng.choices((True, False, None), (80, 12, 8) if settled else (40, 20, 40))[0]
        # A kept or broken promise was due in the past; a pending one may be due later.
        out.append({"what": what, "due": min(due, today) if kept is not None else due, "kept": kept})
    return out


def _story_texts(rng: random.Random, d: Draft) -> dict[str, str]:
    """What went wrong, how it was put right and the prevention, all of the case's cause, in the customer's language."""
    german = d.person.language == "de"
    wrong, fix, prevent = (text[german] for text in (d.cause.wrong, d.cause.fix, d.cause.prevent))
    if d.fault == "unclear":
        # The prevention still aims at the likeliest cause.
        wrong = rng.choice(WRONG_DE_UNCLEAR if german else UNCLEAR_WRONG)
    return dict(zip(STORY, (wrong, fix, prevent), strict=True))


def _told(rng: random.Random, kind: str) -> int:
    """How many of STORY a case says: all when settled, some otherwise."""
    if kind in ("resolved", "recovered"):
        return 3
    if kind == "lost":
        return rng.choice((0, 1, 3, 3))
    if kind == "reopened":
        return rng.choice((2, 3))
    return rng.choice((0, 0, 1, 1, 2))


def _story(rng: random.Random, d: Draft) -> dict:
    """The first `told` of what_went_wrong, how_resolved and prevention."""
    fields = _story_texts(rng, d)
    return {key: fields[key].format_map(d.context) for key in STORY[:d.told]}


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


def _context(rng: random.Random, person: Person, owner: str, channel: str, cause: Cause, thing: Thing) -> dict:
    """The words that fill the sentence templates of one case; the cause's thing takes its slot."""
    context = {
        "item": rng.choice(ITEMS), "event": rng.choice(EVENTS).en, "place": rng.choice(PLACES),
        "time": f"{rng.randint(7, 16):02d}:{rng.choice((0, 15, 30, 45)):02d}",
        "late": rng.choice((20, 35, 45, 50, 70, 90, 120)), "order": rng.randint(10000, 99999),
        "qty": rng.choice((4, 6, 8, 12, 20, 25, 40, 60)), "driver": rng.choice(DRIVERS), "baker": rng.choice(BAKERS),
        "owner": owner.split()[0], "first": person.first, "day": rng.choice(DAYS).en,
        "came_in": CAME_IN[channel], "thing": thing.en, "thing_de": thing.de,
    }
    if cause.slot:
        context[cause.slot] = thing.en
    context["Item"], context["Event"] = (context[k][0].upper() + context[k][1:] for k in ("item", "event"))
    return context


def _troubles(category: Category, fault: str) -> list[tuple[Cause, Thing]]:
    """Every cause a case of this category and fault can have: the customer's slips, or ours."""
    return [(cause, thing) for cause in (category.slips if fault == "customer" else category.causes) for thing in cause.things]


def cause_tag(cause: Cause, thing: Thing) -> str:
    """The tag that names one cause: its kind and its thing."""
    return cause.tag.format(thing.slug)


def _category(rng: random.Random, taken: set[str]) -> Category:
    """A category by its share of complaints, other than those taken."""
    free = [c for c in CATEGORIES if c.name not in taken]
    return rng.choices(free, [c.weight for c in free])[0]


def _again(rng: random.Random, theirs: list[Draft], fault: str) -> Draft | None:
    """Now and then, the customer's earlier case whose trouble comes back in this one: their slip, or ours, as this one is."""
    alike = [d.recurs or d for d in theirs if (d.fault == "customer") == (fault == "customer")]
    return rng.choice(alike) if alike and rng.random() < AGAIN else None


def _draft(rng: random.Random, index: int, person: Person, today: date, theirs: list[Draft]) -> Draft:
    """Choose the facts of one case, given the customer's cases drafted so far; its cause and words come later."""
    kind = _covered(rng, index, STATUS_TABLE)
    channel = _covered(rng, index, CHANNEL_TABLE)
    if person.email is None and channel in ("email", "chat"):
        # Someone without an email address complained some other way, and is answered that way too.
        channel = rng.choice(("phone", "letter", "in-person"))
    fault = _covered(rng, index, FAULT_TABLE)
    opened, resolved = _dates(rng, kind, today)
    recurs = _again(rng, theirs, fault)
    if recurs is not None:
        category, team = recurs.category, recurs.team
    else:
        # Any two cases of one customer in one team and category count as a repeat, so a different trouble
        # of theirs is of another category.
        category = _category(rng, {d.category.name for d in theirs})
        team = rng.choice(category.teams) if rng.random() < 0.85 else rng.choice(TEAMS)
    d = Draft(
        person=person, kind=kind, channel=channel, opened=opened, resolved=resolved,
        status="open" if kind == "reopened" else kind, fault=fault, severity=_covered(rng, index, SEVERITY_TABLE),
        owner=rng.choice(OWNERS), team=team, category=category, told=_told(rng, kind), recurs=recurs,
    )
    d.customer_value = int(rng.lognormvariate(6.3, 1.1)) // 10 * 10 if rng.random() < 0.8 else None
    d.do_not_contact = rng.random() < 0.02
    d.accommodation = _accommodation(rng, index, kind, d, today)
    return d


def _choose_causes(rng: random.Random, drafts: list[Draft]) -> None:
    """Give every case its cause, oldest first. A cause whose prevention a case has promised comes back
    rarely in that team and category: mostly the prevention holds, as in a business that learns."""
    troubles: dict[tuple[str, bool], list[tuple[Cause, Thing, str]]] = {}
    promised: set[tuple[str, str, str]] = set()
    for d in sorted(drafts, key=lambda d: d.opened):
        if d.recurs is not None and d.recurs.cause is not None:
            d.cause, d.thing = d.recurs.cause, d.recurs.thing
        elif d.cause is None:
            key = (d.category.name, d.fault == "customer")
            if key not in troubles:
                troubles[key] = [(c, t, cause_tag(c, t)) for c, t in _troubles(d.category, d.fault)]
            options = troubles[key]
            weights = [RECURS if (d.team, d.category.name, tag) in promised else 1 for _, _, tag in options]
            d.cause, d.thing, _ = rng.choices(options, weights)[0]
            if d.recurs is not None:
                d.recurs.cause, d.recurs.thing = d.cause, d.thing
        if "prevention" in STORY[:d.told]:
            promised.add((d.team, d.category.name, cause_tag(d.cause, d.thing)))


def _tell(rng: random.Random, d: Draft, today: date) -> None:
    """Put one case into words, now that its cause is known."""
    d.context = _context(rng, d.person, d.owner, d.channel, d.cause, d.thing)
    d.title = rng.choice(d.cause.titles).format_map(d.context)
    d.about = rng.choice(ABOUT_DE if d.person.language == "de" else ABOUT[d.category.name]).format_map(d.context)
    if d.channel == "social":
        d.source_url = f"https://social.example.com/@{_slug(d.person.name, 30)}/posts/{d.context['order']}"
    d.promises = _promises(rng, d, today)
    d.story = _story(rng, d)
    d.contacts = _contacts(rng, d, d.kind, today)
    d.followups = _overrides(rng, d)
    d.body = _body(rng, d, d.kind)


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
    own = (d.cause.quote,) + QUOTES_GENERIC
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
    happened = [d.cause.happened.format_map(ctx)]
    found = [d.cause.found.format_map(ctx), FAULT_LINES[d.fault]]
    links = LINKS_ANY + LINKS_ORDER if d.category.orders else LINKS_ANY
    found += [link.format_map(ctx) for link in rng.sample(links, rng.randint(1, 2))]
    lessons = [d.cause.lesson] + rng.sample(LESSONS_GENERIC, rng.randint(1, 3))
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
              f"team: {_q(d.team)}", f"category: {_q(d.category.name)}", f"tags: {json.dumps([cause_tag(d.cause, d.thing)])}"]
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
    drafts: list[Draft] = []
    theirs: dict[Person, list[Draft]] = defaultdict(list)
    for index, person in enumerate(people):
        drafts.append(_draft(rng, index, person, today, theirs[person]))
        theirs[person].append(drafts[-1])
    # Causes need every case's date: whether a prevention was promised before depends on the cases opened earlier.
    _choose_causes(rng, drafts)
    for index, draft in enumerate(drafts):
        _tell(rng, draft, today)
        # The index keeps names unique; the date and slug keep them readable and in order.
        yield f"{draft.opened}-{_slug(draft.title)}-{index + 1:05d}.md", _render(draft)
