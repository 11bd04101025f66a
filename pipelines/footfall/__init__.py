"""Footfall (*fréquentation piétonne*): from WiFi sensors and counters to pedestrians.

``hourly`` pairs WiFi sensors with counters, calibrates them and builds hourly footfall per
H3 cell; ``profile`` the hour x weekday curves, day-parts, peaks and year-on-year change;
``model`` the scikit-learn estimate for cells without a sensor.
"""
