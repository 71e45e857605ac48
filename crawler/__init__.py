"""seedwatch crawler: a Scrapy project (spiders, extraction, judging, storage)."""
