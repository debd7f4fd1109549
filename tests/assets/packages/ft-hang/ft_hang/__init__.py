"""The top-level package imports fine; its extension's initialization never returns."""
