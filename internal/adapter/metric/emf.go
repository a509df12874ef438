package metric

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Line is an EMF line as CloudWatch reads it: for each metric, its
// namespace, name, unit, dimension keys and their values.
type Line struct {
	Metrics []Metric
	// Members are the root's members that are neither _aws, a metric nor
	// a dimension: CloudWatch keeps them in the log event only.
	Members []string
}

// Metric is one metric of a line.
type Metric struct {
	Namespace string
	Name      string
	Unit      string
	Keys      []string
	Dims      []string // the values of Keys
	Values    []float64
}

// The specification's limits on one directive.
const (
	maxDimensions = 30
	maxMetrics    = 100
)

// Parse reads line as CloudWatch's Embedded Metric Format specification
// says it must be: a root object with _aws {Timestamp: integer
// milliseconds, CloudWatchMetrics: [{Namespace, Dimensions: [[key, ...]],
// Metrics: [{Name, Unit?}]}]}, each dimension key a string member of the
// root, each metric name a number or an array of numbers, at most 30
// dimensions and 100 metrics a directive.
func Parse(line []byte) (Line, error) {
	var root map[string]json.RawMessage
	if err := json.Unmarshal(line, &root); err != nil {
		return Line{}, fmt.Errorf("not a JSON object: %w", err)
	}
	var aws struct {
		Timestamp         json.RawMessage
		CloudWatchMetrics []struct {
			Namespace  *string
			Dimensions [][]string
			Metrics    []struct {
				Name *string
				Unit *string
			}
		}
	}
	raw, ok := root["_aws"]
	if !ok {
		return Line{}, errors.New("no _aws member")
	}
	if err := json.Unmarshal(raw, &aws); err != nil {
		return Line{}, fmt.Errorf("_aws: %w", err)
	}
	var ts int64
	if err := json.Unmarshal(aws.Timestamp, &ts); err != nil || ts <= 0 {
		return Line{}, fmt.Errorf("_aws.Timestamp %s: want positive integer milliseconds", aws.Timestamp)
	}
	if aws.CloudWatchMetrics == nil {
		return Line{}, errors.New("no _aws.CloudWatchMetrics array")
	}
	var out Line
	used := map[string]bool{"_aws": true}
	for i, d := range aws.CloudWatchMetrics {
		if d.Namespace == nil || *d.Namespace == "" {
			return Line{}, fmt.Errorf("directive %d: no Namespace", i)
		}
		if d.Dimensions == nil || d.Metrics == nil {
			return Line{}, fmt.Errorf("directive %d: want Dimensions and Metrics arrays", i)
		}
		if len(d.Metrics) > maxMetrics {
			return Line{}, fmt.Errorf("directive %d: %d metrics, at most %d", i, len(d.Metrics), maxMetrics)
		}
		dims := map[string]string{}
		for _, set := range d.Dimensions {
			if len(set) > maxDimensions {
				return Line{}, fmt.Errorf("directive %d: a dimension set of %d, at most %d", i, len(set), maxDimensions)
			}
			for _, k := range set {
				var v string
				if err := json.Unmarshal(root[k], &v); err != nil {
					return Line{}, fmt.Errorf("dimension %q: not a string member of the root", k)
				}
				dims[k], used[k] = v, true
			}
		}
		for _, m := range d.Metrics {
			if m.Name == nil || *m.Name == "" {
				return Line{}, fmt.Errorf("directive %d: a metric without a Name", i)
			}
			values, err := numbers(root[*m.Name])
			if err != nil {
				return Line{}, fmt.Errorf("metric %s: %w", *m.Name, err)
			}
			used[*m.Name] = true
			for _, set := range d.Dimensions {
				mm := Metric{Namespace: *d.Namespace, Name: *m.Name, Keys: slices.Clone(set), Values: values}
				if m.Unit != nil {
					mm.Unit = *m.Unit
				}
				for _, k := range set {
					mm.Dims = append(mm.Dims, dims[k])
				}
				out.Metrics = append(out.Metrics, mm)
			}
		}
	}
	for k := range root {
		if !used[k] {
			out.Members = append(out.Members, k)
		}
	}
	slices.Sort(out.Members)
	return out, nil
}

// numbers reads a metric's value: a number, or an array of numbers.
func numbers(raw json.RawMessage) ([]float64, error) {
	var one float64
	if err := json.Unmarshal(raw, &one); err == nil && raw != nil && strings.TrimSpace(string(raw)) != "null" {
		return []float64{one}, nil
	}
	var many []float64
	if err := json.Unmarshal(raw, &many); err != nil || len(many) == 0 {
		return nil, errors.New("not a number or an array of numbers in the root")
	}
	return many, nil
}

// Check holds m to its definition: a metric of All, in a namespace ending
// in its function's name, with its dimension keys and only their listed
// values, and its unit.
func Check(m Metric) error {
	i := slices.IndexFunc(All, func(d Def) bool { return d.Name == m.Name })
	if i < 0 {
		return fmt.Errorf("metric %s is not one of metric.All", m.Name)
	}
	d := All[i]
	if !strings.HasSuffix(m.Namespace, "/"+d.Function) {
		return fmt.Errorf("metric %s in namespace %s, want one ending /%s", m.Name, m.Namespace, d.Function)
	}
	if m.Unit != string(d.Unit) {
		return fmt.Errorf("metric %s in unit %q, want %q", m.Name, m.Unit, d.Unit)
	}
	if !slices.Equal(m.Keys, d.Keys()) {
		return fmt.Errorf("metric %s with dimensions %v, want %v", m.Name, m.Keys, d.Keys())
	}
	for j, dim := range d.Dimensions {
		if !slices.Contains(dim.Values, m.Dims[j]) {
			return fmt.Errorf("metric %s: %s %q is not one of its values", m.Name, dim.Key, m.Dims[j])
		}
	}
	return nil
}
