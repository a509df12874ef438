// Package metric writes CloudWatch Embedded Metric Format (EMF) lines: one
// JSON object a line on the function's standard output, from which
// CloudWatch Logs makes metrics with no PutMetricData call, no IAM and no
// latency. A line carries counts and durations under low-cardinality
// dimensions (defs.go lists every metric and the values each dimension may
// take), never a lead or a person.
package metric

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"
	"time"
)

// Writer writes EMF lines in one namespace. Its lines bypass the logger's
// level: a LogLevel of WARN must not silence a metric an alarm watches.
type Writer struct {
	// Namespace is the CloudWatch namespace; empty writes nothing.
	Namespace string
	w         io.Writer
	now       func() time.Time
	mu        sync.Mutex
}

// New returns a writer to w (the function's stdout; nil for os.Stdout) in
// namespace.
func New(w io.Writer, namespace string, now func() time.Time) *Writer {
	if w == nil {
		w = os.Stdout
	}
	return &Writer{Namespace: namespace, w: w, now: now}
}

// Count writes a line adding 1 to the metric name, without dimensions (so
// an alarm names the metric by namespace and name alone). A nil writer,
// or one without a namespace, writes nothing.
func (c *Writer) Count(name string) error {
	return c.write(nil, map[string]any{name: 1}, []map[string]string{{"Name": name, "Unit": string(Count)}})
}

// Value is one metric's value on a line.
type Value struct {
	Def   Def
	Value float64
}

// Put writes one line with values, all of metrics with the same dimension
// keys, under the dimension values dims (in the order of the defs' keys).
// A dimension value the def does not list is refused, and nothing is
// written: no free text can become a dimension. A nil writer, or one
// without a namespace, writes nothing.
func (c *Writer) Put(dims []string, values ...Value) error {
	if c == nil || c.Namespace == "" || len(values) == 0 {
		return nil
	}
	keys := values[0].Def.Keys()
	if len(dims) != len(keys) {
		return fmt.Errorf("metric %s: %d dimension values for %d keys", values[0].Def.Name, len(dims), len(keys))
	}
	root := map[string]any{}
	var metrics []map[string]string
	for _, v := range values {
		d := v.Def
		if !slices.Equal(d.Keys(), keys) {
			return fmt.Errorf("metric %s: dimensions %v on a line of %v", d.Name, d.Keys(), keys)
		}
		for i, dim := range d.Dimensions {
			if !slices.Contains(dim.Values, dims[i]) {
				// Not the value itself: the caller logs this error, and a
				// value that is not listed may be anything, a name too.
				return fmt.Errorf("metric %s: a %s it does not list", d.Name, dim.Key)
			}
		}
		root[d.Name] = v.Value
		metrics = append(metrics, map[string]string{"Name": d.Name, "Unit": string(d.Unit)})
	}
	for i, k := range keys {
		root[k] = dims[i]
	}
	return c.write(keys, root, metrics)
}

func (c *Writer) write(keys []string, root map[string]any, metrics []map[string]string) error {
	if c == nil || c.Namespace == "" {
		return nil
	}
	if keys == nil {
		keys = []string{}
	}
	root["_aws"] = map[string]any{
		"Timestamp": c.now().UnixMilli(),
		"CloudWatchMetrics": []map[string]any{{
			"Namespace":  c.Namespace,
			"Dimensions": [][]string{keys},
			"Metrics":    metrics,
		}},
	}
	line, err := json.Marshal(root)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	_, err = c.w.Write(append(line, '\n'))
	return err
}
