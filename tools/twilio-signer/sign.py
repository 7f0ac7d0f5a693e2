"""Signs a webhook request as Twilio does, with Twilio's official library.

Reads {"token": ..., "url": ..., "params": [[name, value], ...]} on stdin and prints the
X-Twilio-Signature that twilio-python's RequestValidator computes for it.
"""

import json
import sys

from twilio.request_validator import RequestValidator

request = json.load(sys.stdin)
params = {}
for name, value in request["params"]:
    params[name] = value
print(RequestValidator(request["token"]).compute_signature(request["url"], params))
