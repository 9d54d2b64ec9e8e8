package fake

import (
	"fmt"
	"maps"
	"net/url"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Stripe takes parameters form-encoded with brackets for nesting:
// metadata[plan]=pro, items[0][price]=price_123, expand[]=customer. parseForm
// turns them into nested maps and slices of strings; applyFields then types
// each string after the field it sets.

// parseForm decodes bracketed form parameters into nested values: maps,
// slices ("a[]" or "a[0]") and strings.
func parseForm(v url.Values) (map[string]any, *Error) {
	root := map[string]any{}
	for _, key := range slices.Sorted(maps.Keys(v)) {
		segs, ok := splitKey(key)
		if !ok {
			return nil, errInvalid(key, "Invalid parameter name: "+key)
		}
		for _, val := range v[key] {
			if err := insert(root, segs, val); err != nil {
				return nil, errInvalid(segs[0], fmt.Sprintf("Invalid %s: %s", segs[0], err))
			}
		}
	}
	for k, v := range root {
		root[k] = normalize(v) // the root stays a map even when its keys are numbers
	}
	return root, nil
}

// splitKey splits "a[b][c]" into a, b, c; "a[]" ends with "".
func splitKey(key string) ([]string, bool) {
	name, rest, _ := strings.Cut(key, "[")
	if name == "" {
		return nil, false
	}
	segs := []string{name}
	if rest == "" && !strings.Contains(key, "[") {
		return segs, true
	}
	rest = "[" + rest
	for rest != "" {
		if rest[0] != '[' {
			return nil, false
		}
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return nil, false
		}
		segs = append(segs, rest[1:end])
		rest = rest[end+1:]
	}
	return segs, true
}

// appendKey marks list items appended with "[]" inside maps before normalize.
const appendKey = "\x00append"

func insert(m map[string]any, segs []string, val string) error {
	for i, seg := range segs {
		last := i == len(segs)-1
		if seg == "" && i > 0 {
			if !last {
				return fmt.Errorf("nested values under [] are not supported")
			}
			list, _ := m[appendKey].([]any)
			m[appendKey] = append(list, val)
			return nil
		}
		if last {
			if _, exists := m[seg].(map[string]any); exists {
				return fmt.Errorf("%s is both a value and a hash", seg)
			}
			m[seg] = val
			return nil
		}
		next, ok := m[seg].(map[string]any)
		if !ok {
			if _, isVal := m[seg]; isVal {
				return fmt.Errorf("%s is both a value and a hash", seg)
			}
			next = map[string]any{}
			m[seg] = next
		}
		m = next
	}
	return nil
}

// normalize turns maps built from "[]" or all-numeric keys into slices.
func normalize(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	if list, ok := m[appendKey].([]any); ok && len(m) == 1 {
		return list
	}
	numeric := len(m) > 0
	for k := range m {
		if _, err := strconv.Atoi(k); err != nil {
			numeric = false
		}
		m[k] = normalize(m[k])
	}
	if !numeric {
		return m
	}
	keys := slices.Collect(maps.Keys(m))
	sort.Slice(keys, func(i, j int) bool {
		a, _ := strconv.Atoi(keys[i])
		b, _ := strconv.Atoi(keys[j])
		return a < b
	})
	list := make([]any, 0, len(keys))
	for _, k := range keys {
		list = append(list, m[k])
	}
	return list
}

// intFields and boolFields type parameters whose current value may be null.
var (
	intFields = set("amount", "balance", "days_until_due", "due_date", "trial_end", "next_invoice_sequence",
		"unit_amount", "quantity", "interval_count", "trial_period_days")
	boolFields = set("active", "auto_advance", "cancel_at_period_end", "shippable", "capture", "delinquent")
)

// coerce types v, a parameter for field key whose current value is old.
// Strings from forms are parsed to the field's type; Go values from the
// direct write methods are normalised (ints to int64, string maps to maps).
func coerce(key string, old, v any) (any, *Error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case string:
		if x == "" {
			return nil, nil // Stripe unsets a field given an empty string
		}
		if _, isHash := old.(map[string]any); isHash {
			return nil, errInvalid(key, "Invalid hash")
		}
		_, oldInt := old.(int64)
		_, oldBool := old.(bool)
		switch {
		case intFields[key] || oldInt:
			n, err := strconv.ParseInt(x, 10, 64)
			if err != nil {
				return nil, errInvalid(key, "Invalid integer: "+x)
			}
			return n, nil
		case boolFields[key] || oldBool:
			b, err := strconv.ParseBool(x)
			if err != nil || (x != "true" && x != "false") {
				return nil, errInvalid(key, "Invalid boolean: "+x)
			}
			return b, nil
		}
		return x, nil
	case int:
		return int64(x), nil
	case int32:
		return int64(x), nil
	case int64, bool:
		return x, nil
	case float64:
		if x != float64(int64(x)) {
			return nil, errInvalid(key, fmt.Sprintf("Invalid integer: %v", x))
		}
		return int64(x), nil
	case map[string]string:
		m := make(map[string]any, len(x))
		for k, s := range x {
			m[k] = s
		}
		return coerce(key, old, m)
	case map[string]any:
		oldMap, _ := old.(map[string]any)
		out := make(map[string]any, len(x)+len(oldMap))
		maps.Copy(out, deepCopy(oldMap).(map[string]any))
		for k, sub := range x {
			c, err := coerce(k, oldMap[k], sub)
			if err != nil {
				c, err = nil, errInvalid(key+"["+k+"]", err.Message)
				return c, err
			}
			out[k] = c
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, sub := range x {
			c, err := coerce(key, nil, sub)
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	case []string:
		out := make([]any, len(x))
		for i, s := range x {
			out[i] = s
		}
		return out, nil
	}
	return nil, errInvalid(key, fmt.Sprintf("Invalid value for %s: %v", key, v))
}

// mergeMetadata applies Stripe's metadata rules: keys are set one by one, an
// empty value removes a key, and an empty metadata removes them all.
func mergeMetadata(old, v any) (map[string]any, *Error) {
	out := map[string]any{}
	if m, ok := old.(map[string]any); ok {
		maps.Copy(out, m)
	}
	switch x := v.(type) {
	case nil:
		return map[string]any{}, nil
	case string:
		if x == "" {
			return map[string]any{}, nil
		}
		return nil, errInvalid("metadata", "Invalid hash")
	case map[string]string:
		for k, s := range x {
			setMeta(out, k, s)
		}
	case map[string]any:
		for k, s := range x {
			if s == nil {
				delete(out, k)
				continue
			}
			setMeta(out, k, fmt.Sprint(s))
		}
	default:
		return nil, errInvalid("metadata", "Invalid hash")
	}
	return out, nil
}

func setMeta(m map[string]any, k, v string) {
	if v == "" {
		delete(m, k)
		return
	}
	m[k] = v
}

// virtualParams are accepted but not stored as fields; the kind's finish
// step reads them.
var virtualParams = set("items", "capture", "source", "expand")

// applyFields sets params on obj and returns the previous values of the
// top-level fields that changed (metadata: of its changed keys), which is an
// event's previous_attributes.
func applyFields(obj, params map[string]any) (map[string]any, *Error) {
	prev := map[string]any{}
	for _, key := range slices.Sorted(maps.Keys(params)) {
		if virtualParams[key] {
			continue
		}
		old := obj[key]
		var nv any
		if key == "metadata" {
			m, err := mergeMetadata(old, params[key])
			if err != nil {
				return nil, err
			}
			oldM, _ := old.(map[string]any)
			changed := map[string]any{}
			for k, v := range oldM {
				if m[k] != v {
					changed[k] = v
				}
			}
			for k := range m {
				if _, had := oldM[k]; !had {
					changed[k] = nil
				}
			}
			if len(changed) > 0 {
				prev[key] = changed
			}
			obj[key] = m
			continue
		}
		nv, err := coerce(key, old, params[key])
		if err != nil {
			return nil, err
		}
		if !reflect.DeepEqual(old, nv) {
			prev[key] = old
		}
		obj[key] = nv
	}
	return prev, nil
}

// deepCopy copies maps and slices, so stored objects never alias what
// callers hold.
func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if x == nil {
			return map[string]any{}
		}
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = deepCopy(e)
		}
		return s
	}
	return v
}
