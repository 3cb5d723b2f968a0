package observe

import (
	"errors"
	"fmt"
	"strings"
)

// Phone numbers identify observers on SMS, so each must have one spelling:
// E.164 ("+77011234567"), which gateways send. A roster or a gateway may
// write a number nationally ("8 701 123 45 67", "0555 12 34 56"); the
// organisation's country (a setting: `vigil roster import --country KZ`)
// says how to read it.

// callingCodes maps ISO 3166-1 alpha-2 codes to the country calling code
// and the national trunk prefix dropped when the number is written
// internationally. The countries where observation missions work most,
// and their neighbours; add more as needed.
var callingCodes = map[string]struct{ code, trunk string }{
	"AL": {"355", "0"}, "AM": {"374", "0"}, "AZ": {"994", "0"}, "BA": {"387", "0"},
	"BY": {"375", "8"}, "DE": {"49", "0"}, "FR": {"33", "0"}, "GB": {"44", "0"},
	"GE": {"995", "0"}, "KG": {"996", "0"}, "KZ": {"7", "8"}, "MD": {"373", "0"},
	"ME": {"382", "0"}, "MK": {"389", "0"}, "MN": {"976", ""}, "PL": {"48", ""},
	"RS": {"381", "0"}, "RU": {"7", "8"}, "TJ": {"992", "8"}, "TM": {"993", "8"},
	"TR": {"90", "0"}, "UA": {"380", "0"}, "US": {"1", "1"}, "CA": {"1", "1"},
	"UZ": {"998", "8"}, "XK": {"383", "0"}, "AT": {"43", "0"}, "CH": {"41", "0"},
	"IT": {"39", ""}, "ES": {"34", ""}, "NL": {"31", "0"}, "SE": {"46", "0"},
	"NO": {"47", ""}, "FI": {"358", "0"}, "LT": {"370", "8"}, "LV": {"371", ""},
	"EE": {"372", ""}, "RO": {"40", "0"}, "BG": {"359", "0"}, "HU": {"36", "06"},
	"CZ": {"420", ""}, "SK": {"421", "0"}, "HR": {"385", "0"}, "SI": {"386", "0"},
	"GR": {"30", ""}, "CY": {"357", ""}, "IE": {"353", "0"}, "PT": {"351", ""},
	"BE": {"32", "0"}, "DK": {"45", ""}, "MT": {"356", ""}, "LU": {"352", ""},
}

// ValidCountry reports whether a country code is one E164 can read
// national numbers of ("" is valid: international numbers only).
func ValidCountry(cc string) bool {
	_, ok := callingCodes[strings.ToUpper(cc)]
	return ok || cc == ""
}

// ErrNotE164 is the error of a number that is not a valid phone number.
var ErrNotE164 = errors.New("not a phone number")

// E164 turns a phone number as people write it ("+7 701 123-45-67",
// "8 (701) 123 45 67" with country KZ, "00 995 555 12 34 56") into E.164.
// Spaces, dashes, dots and brackets are ignored; any other character is an
// error. A national number (no + or 00) needs the country.
func E164(s, country string) (string, error) {
	var digits strings.Builder
	plus := false
	for i, r := range strings.TrimSpace(s) {
		switch {
		case r >= '0' && r <= '9':
			digits.WriteRune(r)
		case r == '+' && i == 0:
			plus = true
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')' || r == '\u00a0':
		default:
			return "", fmt.Errorf("%w: %q has %q", ErrNotE164, s, r)
		}
	}
	d := digits.String()
	switch {
	case plus:
	case strings.HasPrefix(d, "00"):
		d = d[2:]
	case country == "":
		return "", fmt.Errorf("%w: %q is a national number and the organisation has no country (want + and the country code, or set the country)", ErrNotE164, s)
	default:
		cc, ok := callingCodes[strings.ToUpper(country)]
		if !ok {
			return "", fmt.Errorf("%w: unknown country %q", ErrNotE164, country)
		}
		if cc.trunk != "" && strings.HasPrefix(d, cc.trunk) {
			d = d[len(cc.trunk):]
		}
		d = cc.code + d
	}
	if len(d) < 7 || len(d) > 15 || d[0] == '0' {
		return "", fmt.Errorf("%w: %q: want + and the country code and 7 to 15 digits in all, e.g. +77011234567", ErrNotE164, s)
	}
	return "+" + d, nil
}
