"""FHIR export in the shapes of KL's *KL Gateway Children* implementation guide (issue 18).

`mapping` holds pure functions from our records to FHIR R4 resources (plain dicts, checked with
the `fhir.resources` models); `service` finds what a caller may export, audits it and bundles it.
"""
