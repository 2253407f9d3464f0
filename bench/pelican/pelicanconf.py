# Minimal Pelican settings for bench/run.py: one article per case (cases/<id>.html,
# as amends writes them), plus the default theme's index, category, tag and
# archive pages. No feeds, no cache, so every run is a clean build.
SITENAME = "amends benchmark"
SITEURL = ""
RELATIVE_URLS = True
TIMEZONE = "Europe/Berlin"
DEFAULT_LANG = "en"

ARTICLE_URL = "cases/{slug}.html"
ARTICLE_SAVE_AS = "cases/{slug}.html"

LOAD_CONTENT_CACHE = False
CACHE_CONTENT = False
DELETE_OUTPUT_DIRECTORY = True
DEFAULT_PAGINATION = False

FEED_ALL_ATOM = None
FEED_ALL_RSS = None
CATEGORY_FEED_ATOM = None
CATEGORY_FEED_RSS = None
TRANSLATION_FEED_ATOM = None
TRANSLATION_FEED_RSS = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
TAG_FEED_ATOM = None
TAG_FEED_RSS = None
