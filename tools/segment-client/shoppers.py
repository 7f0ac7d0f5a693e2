"""Shoppers of a Cart Reminder and subscribers of a Welcome, sent to Tern with Segment's official
Python library, unchanged but for its host. Event times are set in the past (minutes ago, as
the first argument after the key says) so that a reminder falls due at once.
Usage: shoppers.py BASE_URL WRITE_KEY. Exits 1 if the library reports an error."""
import sys
from datetime import datetime, timedelta, timezone

from segment.analytics.client import Client

base_url, write_key = sys.argv[1], sys.argv[2]
errors = []


def on_error(error, items):
    errors.append(f"{error} ({len(items)} calls)")


client = Client(write_key, host=base_url, on_error=on_error, sync_mode=True)
now = datetime.now(timezone.utc)


def ago(minutes):
    return now - timedelta(minutes=minutes)


def product(sku, price):
    return {"product_id": sku, "name": f"Product {sku}", "price": price, "quantity": 1,
            "currency": "USD", "url": f"https://shop.example/{sku}"}


def shopper(user, phone):
    client.identify(user, {"phone": phone, "sms_consent": "subscribed"})


# Calls that must arrive together (so that no reminder can fall due between them) go in one
# batch request.
batch = Client(write_key, host=base_url, on_error=on_error, upload_size=100, max_retries=0)


def together():
    batch.flush()
    batch.join()


# A cart left: reminded after the delay (15 minutes).
shopper("left", "+14155550201")
client.track("left", "Product Added", product("a", 30), timestamp=ago(20))
# A cart, then an order: nothing.
shopper("bought", "+14155550202")
batch.track("bought", "Product Added", product("a", 30), timestamp=ago(20))
batch.track("bought", "Order Completed", {"total": 30}, timestamp=ago(18))
together()
batch = Client(write_key, host=base_url, on_error=on_error, upload_size=100, max_retries=0)
# A cart changed since: the timer restarted, still waiting.
shopper("browsing", "+14155550203")
batch.track("browsing", "Product Added", product("a", 30), timestamp=ago(30))
batch.track("browsing", "Product Added", product("b", 12), timestamp=ago(2))
together()
batch = Client(write_key, host=base_url, on_error=on_error, upload_size=100, max_retries=0)
# An order sent late, out of order: its time is before the cart's last event, after the cart
# began. The reminder (due in 5 minutes) is cancelled.
shopper("late", "+14155550204")
client.track("late", "Product Added", product("a", 30), timestamp=ago(40))
client.track("late", "Cart Viewed", {"products": [product("a", 30)]}, timestamp=ago(10))
client.track("late", "Order Completed", {"total": 30}, timestamp=ago(12))
# Opted out with the cart: skipped when it falls due.
shopper("stopped", "+14155550205")
batch.track("stopped", "Product Added", product("a", 30), timestamp=ago(20))
batch.identify("stopped", {"sms_consent": "unsubscribed"})
together()
# A second identify of a subscriber: no second welcome.
client.identify("left", {"first_name": "Lee", "sms_consent": "subscribed"})

if errors:
    print("\n".join(errors), file=sys.stderr)
    sys.exit(1)
