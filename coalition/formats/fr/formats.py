# One way to write a date in French across the site: "4 décembre 2026".
DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y, H:i"
