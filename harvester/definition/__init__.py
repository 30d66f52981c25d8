"""Declarative platforms: the model a definition file describes, its validation, and where it is found."""

from harvester.definition.errors import DefinitionError
from harvester.definition.load import GENERIC, definition_of, find_spec
from harvester.definition.model import Definition
from harvester.definition.parse import parse_options

__all__ = ["GENERIC", "Definition", "DefinitionError", "definition_of", "find_spec", "parse_options"]
