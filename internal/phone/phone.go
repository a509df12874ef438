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

// Problem is why a number could not be read.
type Problem int

const (
	// NoProblem: the number was read.
	NoProblem Problem = iota
	// NotANumber: no number of the region, nor of another region written
	// with its country code (a foreign number without it reads so).
	NotANumber
	// NoAreaCode: a number of the region as dialled locally, without its
	// area code, such as 555-0143 in the US.
	NoAreaCode
	// TooShort: a number of the region too short to be one even so.
	TooShort
)

// Format parses v and formats it E.164, for links and storage, and as people
// read it: national format for a number of the normalizer's region
// ("(202) 555-0143"), international otherwise ("+44 20 7946 0958"). The
// problem says why a number could not be read.
func (n Normalizer) Format(v string) (e164, display string, p Problem) {
	num, err := phonenumbers.Parse(v, n.Region)
	if err != nil {
		return "", "", NotANumber
	}
	if !phonenumbers.IsValidNumber(num) {
		return "", "", n.problem(num)
	}
	style := phonenumbers.INTERNATIONAL
	if phonenumbers.GetRegionCodeForNumber(num) == n.Region {
		style = phonenumbers.NATIONAL
	}
	return phonenumbers.Format(num, phonenumbers.E164), phonenumbers.Format(num, style), NoProblem
}

// problem is why num, not a valid number, could not be read: too short is
// told apart only for the region's own numbers (one written with another
// country code is that country's business).
func (n Normalizer) problem(num *phonenumbers.PhoneNumber) Problem {
	if int(num.GetCountryCode()) != phonenumbers.GetCountryCodeForRegion(n.Region) {
		return NotANumber
	}
	switch phonenumbers.IsPossibleNumberWithReason(num) {
	case phonenumbers.IS_POSSIBLE_LOCAL_ONLY:
		return NoAreaCode
	case phonenumbers.TOO_SHORT:
		return TooShort
	}
	return NotANumber
}

// Example is libphonenumber's example number of the region, as its people
// write it ("(201) 555-0123" in the US): for messages that show what a
// whole number looks like. Empty for a region the library has none for.
func (n Normalizer) Example() string {
	num := phonenumbers.GetExampleNumber(n.Region)
	if num == nil {
		return ""
	}
	return phonenumbers.Format(num, phonenumbers.NATIONAL)
}
