# One way to write a date in English across the site: "4 December 2026" (day first, as the letter's readers in
# Britain, Ireland, Australia and most of the world write it; never ambiguous, unlike 4/12/2026).
DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y, H:i"
