"""Server-rendered pages, one blueprint per noun."""
