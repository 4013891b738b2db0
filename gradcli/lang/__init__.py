"""The language: the parsed program as data, the LALR parser over the grammar's tables, the printer."""
