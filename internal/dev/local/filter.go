package local

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-lambda-go/events"
)

// filters are the event source mapping's FilterCriteria patterns, parsed,
// applied as Lambda's event filtering applies them to a stream record (its
// JSON as the function receives it): a record passes when any pattern
// matches. Within a pattern every key must match: an object matches the
// record's object at that key, key by key; a list matches a value equal to
// one of its literals (strings, numbers, booleans, null: types and all), or
// an {"exists": true|false} operator; a record's list matches when one of
// its elements does. Other operators (prefix, numeric, anything-but, ...)
// are refused when the patterns are read, so the template cannot use one
// this stand-in does not apply.
type filters []map[string]any

func parseFilters(patterns []string) (filters, error) {
	var fs filters
	for _, p := range patterns {
		f, err := decodeJSON(p)
		if err != nil {
			return nil, fmt.Errorf("filter %s: %w", p, err)
		}
		obj, ok := f.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("filter %s: not an object", p)
		}
		if err := checkPattern(obj); err != nil {
			return nil, fmt.Errorf("filter %s: %w", p, err)
		}
		fs = append(fs, obj)
	}
	return fs, nil
}

func checkPattern(p map[string]any) error {
	for k, v := range p {
		switch v := v.(type) {
		case map[string]any:
			if err := checkPattern(v); err != nil {
				return err
			}
		case []any:
			for _, e := range v {
				if op, ok := e.(map[string]any); ok {
					if _, isBool := op["exists"].(bool); !isBool || len(op) != 1 {
						return fmt.Errorf("%s: operator %v not modelled", k, op)
					}
				}
			}
		default:
			return fmt.Errorf("%s: a value must be an object or a list", k)
		}
	}
	return nil
}

func decodeJSON(s string) (any, error) {
	d := json.NewDecoder(bytes.NewReader([]byte(s)))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// pass reports whether Lambda would hand r to the function.
func (fs filters) pass(r events.DynamoDBEventRecord) bool {
	b, err := json.Marshal(r)
	if err != nil {
		return false
	}
	rec, err := decodeJSON(string(b))
	if err != nil {
		return false
	}
	obj, _ := rec.(map[string]any)
	for _, f := range fs {
		if matchObject(f, obj) {
			return true
		}
	}
	return false
}

func matchObject(p, rec map[string]any) bool {
	for k, pv := range p {
		v, present := rec[k]
		switch pv := pv.(type) {
		case map[string]any:
			// No object there: none of its leaves exists, which only
			// {"exists": false} matches.
			sub, _ := v.(map[string]any)
			if !matchObject(pv, sub) {
				return false
			}
		case []any:
			if !matchLeaf(pv, v, present) {
				return false
			}
		}
	}
	return true
}

func matchLeaf(list []any, v any, present bool) bool {
	if vs, ok := v.([]any); ok {
		for _, e := range vs {
			if matchLeaf(list, e, true) {
				return true
			}
		}
		return false
	}
	_, isObject := v.(map[string]any)
	for _, e := range list {
		switch e := e.(type) {
		case map[string]any: // {"exists": bool}: a leaf there, or none
			if e["exists"] == (present && !isObject) {
				return true
			}
		case json.Number:
			if n, ok := v.(json.Number); ok && present {
				a, err1 := e.Float64()
				b, err2 := n.Float64()
				if err1 == nil && err2 == nil && a == b {
					return true
				}
			}
		default: // string, bool, nil
			if present && !isObject && v == e {
				return true
			}
		}
	}
	return false
}
