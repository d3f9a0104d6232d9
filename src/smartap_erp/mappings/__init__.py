"""User-defined field mappings: safe CEL transformation rules, validation regexes, and applying them."""
