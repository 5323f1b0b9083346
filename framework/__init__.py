"""What is assessed: PIEs 2.0 and its variants as data, with a typed loader. No Telegram, no database."""

from framework.customisation import Customisation
from framework.loader import (
    VARIANTS,
    check_file,
    example_relationships,
    load_framework,
    read_customisation,
    shared_framework,
)
from framework.model import STAGE_ORDER, Element, Framework, Level, Scale, Stage, Theme
from framework.problems import FrameworkError, Problem

__all__ = [
    "STAGE_ORDER",
    "VARIANTS",
    "Customisation",
    "Element",
    "Framework",
    "FrameworkError",
    "Level",
    "Problem",
    "Scale",
    "Stage",
    "Theme",
    "check_file",
    "example_relationships",
    "load_framework",
    "read_customisation",
    "shared_framework",
]
