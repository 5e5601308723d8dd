"""Choice-gap insights: which NICE options a person can get, district by district.

The core (``method``, ``places``, ``compute``, ``summary``, ``detail``) is plain Python and
numpy over the matcher's own index and rules, so whatever the matcher decides about "this
service delivers this NICE option to this person" is what the insights count. The Flask
side (``store``, ``demand``, ``views``, ``api``, ``cli``) saves, serves and counts.
"""
