"""Sends a shopper's identify and e-commerce events to Tern with Segment's official Python
library, unchanged but for its host. Usage: send.py BASE_URL WRITE_KEY. Exits 1 if the library
reports an error."""
import sys

import segment.analytics as analytics
from segment.analytics.client import Client

base_url, write_key = sys.argv[1], sys.argv[2]
errors = []


def on_error(error, items):
    errors.append(f"{error} ({len(items)} calls)")


plain = Client(write_key, host=base_url, on_error=on_error, sync_mode=True)
zipped = Client(write_key, host=base_url, on_error=on_error, gzip=True, max_retries=0)

plain.identify("shopper-42", {"phone": "+1 415 555 0142", "first_name": "Grace", "tier": "gold",
                              "sms_consent": "subscribed"}, anonymous_id="anon-42")
shirt = {"product_id": "sku-1", "name": "Linen shirt", "price": 39.5, "quantity": 1,
         "image_url": "https://shop.example/sku-1.jpg", "url": "https://shop.example/sku-1"}
plain.track("shopper-42", "Product Added", shirt, message_id="evt-1")
plain.track("shopper-42", "Product Added", shirt, message_id="evt-1")  # a retry: deduplicated
zipped.track("shopper-42", "Product Added",
             {"product_id": "sku-2", "name": "Canvas tote", "price": 12, "quantity": 2,
              "image_url": "https://shop.example/sku-2.jpg"}, message_id="evt-2")
zipped.flush()
zipped.join()

if errors:
    print("\n".join(errors), file=sys.stderr)
    sys.exit(1)
print(analytics.VERSION)
