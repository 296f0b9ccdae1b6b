"""Small types shared by the tests of the Pydantic layer (``ModelStream``, ``stream``, ``Partial``...).

Validators count their calls in ``CALLS`` (keyed by ``"Model.validator"``); clear it at the start of a test that
counts. Keep these types plain: tests compare them with what pydantic itself does on the whole document.
"""

from __future__ import annotations

import dataclasses
import enum
from collections import Counter
from typing import Annotated, Any, Literal

import pydantic
import typing_extensions
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.alias_generators import to_camel

#: Validator calls, by ``"Model.validator"``.
CALLS: Counter[str] = Counter()


# ---------------------------------------------------------------------------------------------------------------------
# flat


class User(BaseModel):
    name: str
    age: int
    active: bool = True
    score: float | None = None


class Role(str, enum.Enum):
    ADMIN = "admin"
    EDITOR = "editor"
    GUEST = "guest"


class Priority(enum.IntEnum):
    LOW = 1
    HIGH = 2


class Account(BaseModel):
    name: str
    role: Role
    status: Literal["draft", "published"]
    priority: Priority = Priority.LOW
    level: Literal[1, 2, 3] = 1


# ---------------------------------------------------------------------------------------------------------------------
# nested, three levels


class Geo(BaseModel):
    lat: float
    lon: float


class Address(BaseModel):
    street: str
    city: str
    geo: Geo


class Company(BaseModel):
    name: str
    address: Address
    employees: int = 0


# ---------------------------------------------------------------------------------------------------------------------
# containers of models


class Item(BaseModel):
    id: int
    name: str


class Order(BaseModel):
    id: int
    items: list[Item]
    note: str = ""


class Cart(BaseModel):
    owner: str
    items: list[Item] | None = None


class Inventory(BaseModel):
    items: dict[str, Item]


# ---------------------------------------------------------------------------------------------------------------------
# aliases


class Aliased(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    user_name: str = Field(alias="userName")
    email: str = Field(validation_alias="e-mail")
    nick: str | None = Field(default=None, validation_alias=AliasChoices("nickName", "nick_name"))


class CamelItem(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    item_id: int
    display_name: str


class Camel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    first_name: str
    last_name: str
    favourite_items: list[CamelItem] = Field(default_factory=list)


# ---------------------------------------------------------------------------------------------------------------------
# defaults


def _default_tags() -> list[str]:
    return ["new"]


class Settings(BaseModel):
    theme: str = "light"
    retries: int = 3
    tags: list[str] = Field(default_factory=_default_tags)
    limits: dict[str, int] = Field(default_factory=dict)
    owner: User | None = None


# ---------------------------------------------------------------------------------------------------------------------
# unions


class Cat(BaseModel):
    kind: Literal["cat"]
    name: str
    lives: int = 9


class Dog(BaseModel):
    kind: Literal["dog"]
    name: str
    good: bool = True


Pet = Annotated[Cat | Dog, Field(discriminator="kind")]


class Owner(BaseModel):
    name: str
    pet: Pet


class Shelter(BaseModel):
    pets: list[Pet]


class Circle(BaseModel):
    radius: float


class Square(BaseModel):
    side: float


class Drawing(BaseModel):
    shape: Circle | Square
    title: str = ""


# ---------------------------------------------------------------------------------------------------------------------
# self-referencing


class Tree(BaseModel):
    name: str
    children: list[Tree] = Field(default_factory=list)


class CountedTree(BaseModel):
    name: str
    children: list[CountedTree] = Field(default_factory=list)

    @model_validator(mode="after")
    def _count(self) -> CountedTree:
        CALLS[f"CountedTree.after:{self.name}"] += 1
        return self


# ---------------------------------------------------------------------------------------------------------------------
# dataclasses and TypedDicts


@dataclasses.dataclass
class Point:
    x: int
    y: int
    label: str = "origin"
    tags: list[str] = dataclasses.field(default_factory=list)


@pydantic.dataclasses.dataclass
class PydanticPoint:
    x: int
    y: int
    label: str = "origin"


class Movie(typing_extensions.TypedDict):
    title: str
    year: int
    rating: typing_extensions.NotRequired[float]


class Film(BaseModel):
    movie: Movie
    where: Point


# ---------------------------------------------------------------------------------------------------------------------
# constraints, validators, strictness


class Limited(BaseModel):
    title: str = Field(max_length=5)
    tags: list[str] = Field(max_length=2)
    count: Annotated[int, Field(gt=0)] = 1


class Positives(BaseModel):
    values: list[Annotated[int, Field(gt=0)]]


class Inner(BaseModel):
    code: str

    @field_validator("code")
    @classmethod
    def _upper(cls, value: str) -> str:
        CALLS[f"Inner.code:{value}"] += 1
        return value.upper()

    @model_validator(mode="after")
    def _after(self) -> Inner:
        CALLS[f"Inner.after:{self.code}"] += 1
        return self


class Outer(BaseModel):
    title: str
    inner: Inner
    inners: list[Inner] = Field(default_factory=list)

    @field_validator("title")
    @classmethod
    def _title(cls, value: str) -> str:
        CALLS[f"Outer.title:{value}"] += 1
        return value

    @model_validator(mode="before")
    @classmethod
    def _before(cls, data: Any) -> Any:
        CALLS["Outer.before"] += 1
        return data

    @model_validator(mode="after")
    def _after(self) -> Outer:
        CALLS["Outer.after"] += 1
        return self


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")

    a: int
    b: str = ""


class Loose(BaseModel):
    data: Any = None
    meta: dict = Field(default_factory=dict)  # type: ignore[type-arg]
    label: str = ""


class Everything(BaseModel):
    """One model touching most features at once (for property tests)."""

    user: User
    account: Account
    company: Company
    order: Order
    cart: Cart
    inventory: Inventory
    owner: Owner
    drawing: Drawing
    tree: Tree
    point: Point
    movie: Movie
