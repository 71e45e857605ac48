"""Spiders: feeds, news sitemaps, listing pages and single articles."""
