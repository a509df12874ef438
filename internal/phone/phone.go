// Package phone normalises phone numbers to E.164 with libphonenumber's
// rules. It stands alone because the library parses its metadata when a
// program starts: only the submit function, which reads numbers, pays that.
package phone

import "github.com/nyaruka/phonenumbers"

// KnownRegion reports whether numbers can be read for region ("US", "GB").
func KnownRegion(region string) bool {
	return phonenumbers.GetCountryCodeForRegion(region) != 0
}

// Normalizer reads numbers as dialled from one region.
type Normalizer struct {
	Region string
}

// Format parses v and formats it E.164, for links and storage, and as people
// read it: national format for a number of the normalizer's region
// ("(202) 555-0143"), international otherwise ("+44 20 7946 0958"). ok is
// false for an invalid number.
func (n Normalizer) Format(v string) (e164, display string, ok bool) {
	num, err := phonenumbers.Parse(v, n.Region)
	if err != nil || !phonenumbers.IsValidNumber(num) {
		return "", "", false
	}
	style := phonenumbers.INTERNATIONAL
	if phonenumbers.GetRegionCodeForNumber(num) == n.Region {
		style = phonenumbers.NATIONAL
	}
	return phonenumbers.Format(num, phonenumbers.E164), phonenumbers.Format(num, style), true
}
