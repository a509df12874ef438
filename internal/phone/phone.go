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

// E164 parses v and formats it E.164; ok is false for an invalid number.
func (n Normalizer) E164(v string) (string, bool) {
	num, err := phonenumbers.Parse(v, n.Region)
	if err != nil || !phonenumbers.IsValidNumber(num) {
		return "", false
	}
	return phonenumbers.Format(num, phonenumbers.E164), true
}
