"""The tape (a Wengert list), lowering a program to it, and the operator table."""
