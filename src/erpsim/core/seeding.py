"""Deterministic fake business data shared by all simulators.

`SeededData(seed)` wraps one `random.Random(seed)` and draws company and person names, e-mail
addresses, street addresses, phone numbers, tax ids, Decimal amounts, dates and opaque tokens from
it, so the same seed always yields the same data in the same order. Word lists are small and local
(no Faker dependency) and every draw is O(1), so seeding 50,000 vendors takes well under a second.
Uniqueness (e.g. of QBO DisplayName) is the caller's job; `unique_name` helps.
"""

from __future__ import annotations

import random
import string
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TypeVar

T = TypeVar("T")

_FIRST = (
    "Acme",
    "Apex",
    "Atlas",
    "Beacon",
    "Birch",
    "Blue Ridge",
    "Bright",
    "Cardinal",
    "Cedar",
    "Summit",
    "Coastal",
    "Copper",
    "Crescent",
    "Delta",
    "Eagle",
    "Evergreen",
    "Falcon",
    "Frontier",
    "Golden",
    "Granite",
    "Harbor",
    "Highland",
    "Horizon",
    "Iron",
    "Keystone",
    "Lakeside",
    "Liberty",
    "Maple",
    "Meridian",
    "Midwest",
    "Northwind",
    "Oak",
    "Orion",
    "Pacific",
    "Pioneer",
    "Prairie",
    "Redwood",
    "River",
    "Sterling",
    "Silver",
    "Spruce",
    "Sunrise",
    "Titan",
    "Union",
    "Valley",
    "Vertex",
    "Westfield",
)
_SECOND = (
    "Supply",
    "Logistics",
    "Office Products",
    "Industrial",
    "Packaging",
    "Electric",
    "Plumbing",
    "Consulting",
    "Software",
    "Hardware",
    "Freight",
    "Printing",
    "Catering",
    "Cleaning Services",
    "Engineering",
    "Metals",
    "Paper",
    "Equipment Rental",
    "Security",
    "Telecom",
    "Lumber",
    "Chemicals",
    "Marketing",
    "Staffing",
    "Fuel",
    "Tools",
    "Textiles",
    "Laboratories",
    "Media",
    "Facilities",
)
_SUFFIX = ("Inc", "LLC", "Ltd", "Co", "Corp", "Group", "Partners", "Holdings")
_GIVEN = (
    "Alex",
    "Maria",
    "James",
    "Priya",
    "Chen",
    "Fatima",
    "Lukas",
    "Sofia",
    "Daniel",
    "Aisha",
    "Noah",
    "Emma",
    "Mateo",
    "Olivia",
    "Kenji",
    "Hannah",
    "Omar",
    "Grace",
    "Ivan",
    "Lena",
)
_FAMILY = (
    "Smith",
    "Garcia",
    "Nguyen",
    "Patel",
    "Müller",
    "Rossi",
    "Kim",
    "Johnson",
    "Brown",
    "Lopez",
    "Wilson",
    "Martin",
    "Okafor",
    "Novak",
    "Silva",
    "Tanaka",
    "Cohen",
    "Anderson",
    "Dubois",
    "Kowalski",
)
_STREETS = ("Main", "Oak", "Pine", "Maple", "Cedar", "Elm", "Washington", "Lake", "Hill", "Park", "Market")
_STREET_TYPES = ("St", "Ave", "Blvd", "Rd", "Way", "Dr", "Ln")
# (city, state / region code, postal-code prefix, country)
_CITIES = (
    ("San Francisco", "CA", "941", "US"),
    ("Austin", "TX", "787", "US"),
    ("Chicago", "IL", "606", "US"),
    ("Seattle", "WA", "981", "US"),
    ("Denver", "CO", "802", "US"),
    ("Boston", "MA", "021", "US"),
    ("Atlanta", "GA", "303", "US"),
    ("Portland", "OR", "972", "US"),
    ("Phoenix", "AZ", "850", "US"),
    ("New York", "NY", "100", "US"),
)


@dataclass(frozen=True)
class Address:
    line1: str
    city: str
    region: str
    postal_code: str
    country: str


class SeededData:
    """All random draws of one simulator, from one seeded `random.Random`."""

    def __init__(self, seed: int | str) -> None:
        self.rng = random.Random(seed)  # noqa: S311 (fake data, not crypto)

    def choice(self, items: Sequence[T]) -> T:
        return items[self.rng.randrange(len(items))]

    def chance(self, probability: float) -> bool:
        return self.rng.random() < probability

    def int_between(self, low: int, high: int) -> int:
        return self.rng.randint(low, high)

    def company_name(self) -> str:
        return f"{self.choice(_FIRST)} {self.choice(_SECOND)} {self.choice(_SUFFIX)}"

    def person(self) -> tuple[str, str]:
        return self.choice(_GIVEN), self.choice(_FAMILY)

    def email(self, name: str, *, local: str = "ap") -> str:
        slug = "".join(ch for ch in name.lower() if ch.isascii() and ch.isalnum())[:24] or "vendor"
        return f"{local}@{slug}.example.com"

    def phone(self) -> str:
        return f"({self.int_between(201, 989)}) 555-{self.int_between(0, 9999):04d}"

    def address(self) -> Address:
        city, region, prefix, country = self.choice(_CITIES)
        line1 = f"{self.int_between(1, 9999)} {self.choice(_STREETS)} {self.choice(_STREET_TYPES)}"
        return Address(line1, city, region, f"{prefix}{self.int_between(0, 99):02d}", country)

    def ein(self) -> str:
        """A US employer identification number, NN-NNNNNNN."""
        return f"{self.int_between(10, 98)}-{self.int_between(0, 9999999):07d}"

    def amount(self, low: Decimal | int | str, high: Decimal | int | str, *, places: int = 2) -> Decimal:
        """A Decimal between low and high inclusive, with `places` decimals."""
        scale = 10**places
        low_units = int(Decimal(low) * scale)
        high_units = int(Decimal(high) * scale)
        return Decimal(self.rng.randint(low_units, high_units)).scaleb(-places)

    def date_between(self, start: date, end: date) -> date:
        return start + timedelta(days=self.rng.randint(0, max(0, (end - start).days)))

    def token(self, length: int, alphabet: str = string.ascii_letters + string.digits) -> str:
        return "".join(self.rng.choice(alphabet) for _ in range(length))

    def digits(self, length: int) -> str:
        rest = "".join(self.rng.choice(string.digits) for _ in range(length - 1))
        return str(self.rng.randint(1, 9)) + rest


def unique_name(name: str, taken: set[str]) -> str:
    """`name`, or `name 2`, `name 3`, ... whichever is not yet in `taken` (case-insensitive); adds it."""
    candidate, n = name, 1
    while candidate.lower() in taken:
        n += 1
        candidate = f"{name} {n}"
    taken.add(candidate.lower())
    return candidate
