package stack

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The pseudo parameters a transformed template is evaluated with.
const (
	testAccount   = "123456789012"
	testStackName = "ami-notify"
)

// stack is template.yaml after SAM's transform, evaluated for one set of
// parameter values the way CloudFormation would: conditions decided,
// resources whose condition is false dropped, and every intrinsic function
// replaced by a value. Resources get made-up physical names
// ("ami-notify-<LogicalId>") so that references compare as strings.
type stack struct {
	params     map[string]any // string, or []any of strings for lists
	conditions map[string]any // as written
	decided    map[string]bool
	raw        map[string]rawResource
	// Resources and Outputs hold the evaluated templates of what this
	// parameter set creates.
	Resources map[string]resource
	Outputs   map[string]any
}

type rawResource struct {
	Type       string         `json:"Type"`
	Condition  string         `json:"Condition"`
	Properties map[string]any `json:"Properties"`
}

type resource struct {
	Type       string
	Properties map[string]any
}

// noValue is what AWS::NoValue evaluates to; maps and lists drop it.
type noValueType struct{}

var noValue = noValueType{}

// transform runs aws-sam-translator on template.yaml with params (the rest
// take their defaults) and evaluates the result.
func transform(t *testing.T, params map[string]string) *stack {
	t.Helper()
	python := venvPython(t)
	root := repoRoot(t)
	paramsFile := filepath.Join(t.TempDir(), "params.json")
	if params == nil {
		params = map[string]string{}
	}
	b, err := json.Marshal(params)
	if err != nil {
		t.Fatalf("marshal parameters: %v", err)
	}
	if err := os.WriteFile(paramsFile, b, 0o600); err != nil {
		t.Fatalf("write parameters: %v", err)
	}
	script := filepath.Join(root, "handler", "stack", "testdata", "transform.py")
	cmd := []string{script, filepath.Join(root, "template.yaml"), paramsFile}
	out, stderr, err := runStdout(t, root, 2*time.Minute, python, cmd...)
	if err != nil {
		t.Fatalf("transform with %v: %v\n%s", params, err, stderr)
	}
	s, err := evaluate([]byte(out), params)
	if err != nil {
		t.Fatalf("evaluate the transformed template with %v: %v", params, err)
	}
	return s
}

// evaluate decides a transformed template for the given parameter values.
func evaluate(transformed []byte, params map[string]string) (*stack, error) {
	var tpl struct {
		Parameters map[string]struct {
			Type    string `json:"Type"`
			Default any    `json:"Default"`
		} `json:"Parameters"`
		Conditions map[string]any         `json:"Conditions"`
		Resources  map[string]rawResource `json:"Resources"`
		Outputs    map[string]struct {
			Condition string `json:"Condition"`
			Value     any    `json:"Value"`
		} `json:"Outputs"`
	}
	if err := json.Unmarshal(transformed, &tpl); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	s := &stack{
		params:     map[string]any{},
		conditions: tpl.Conditions,
		decided:    map[string]bool{},
		raw:        tpl.Resources,
		Resources:  map[string]resource{},
		Outputs:    map[string]any{},
	}
	for name := range params {
		if _, ok := tpl.Parameters[name]; !ok {
			return nil, fmt.Errorf("the template has no parameter %s", name)
		}
	}
	for name, p := range tpl.Parameters {
		value, given := params[name]
		if !given {
			switch d := p.Default.(type) {
			case string:
				value = d
			case float64:
				value = strconv.FormatFloat(d, 'f', -1, 64)
			default:
				return nil, fmt.Errorf("parameter %s has no value and no default", name)
			}
		}
		if p.Type == "CommaDelimitedList" {
			var items []any
			for _, item := range strings.Split(value, ",") {
				items = append(items, strings.TrimSpace(item))
			}
			s.params[name] = items
			continue
		}
		s.params[name] = value
	}
	for id, r := range tpl.Resources {
		if r.Condition != "" {
			ok, err := s.condition(r.Condition)
			if err != nil {
				return nil, fmt.Errorf("resource %s: %w", id, err)
			}
			if !ok {
				continue
			}
		}
		s.Resources[id] = resource{Type: r.Type}
	}
	for id, r := range s.Resources {
		props, err := s.eval(s.raw[id].Properties)
		if err != nil {
			return nil, fmt.Errorf("resource %s: %w", id, err)
		}
		m, _ := props.(map[string]any)
		s.Resources[id] = resource{Type: r.Type, Properties: m}
	}
	for name, o := range tpl.Outputs {
		if o.Condition != "" {
			ok, err := s.condition(o.Condition)
			if err != nil {
				return nil, fmt.Errorf("output %s: %w", name, err)
			}
			if !ok {
				continue
			}
		}
		v, err := s.eval(o.Value)
		if err != nil {
			return nil, fmt.Errorf("output %s: %w", name, err)
		}
		s.Outputs[name] = v
	}
	return s, nil
}

// condition decides a named condition.
func (s *stack) condition(name string) (bool, error) {
	if v, ok := s.decided[name]; ok {
		return v, nil
	}
	expr, ok := s.conditions[name]
	if !ok {
		return false, fmt.Errorf("no condition %s", name)
	}
	v, err := s.evalBool(expr)
	if err != nil {
		return false, fmt.Errorf("condition %s: %w", name, err)
	}
	s.decided[name] = v
	return v, nil
}

func (s *stack) evalBool(expr any) (bool, error) {
	fn, arg, ok := intrinsic(expr)
	if !ok {
		return false, fmt.Errorf("not a condition function: %v", expr)
	}
	args, _ := arg.([]any)
	switch fn {
	case "Condition":
		name, _ := arg.(string)
		return s.condition(name)
	case "Fn::Equals":
		if len(args) != 2 {
			return false, fmt.Errorf("Fn::Equals wants 2 arguments, got %v", arg)
		}
		a, err := s.eval(args[0])
		if err != nil {
			return false, err
		}
		b, err := s.eval(args[1])
		if err != nil {
			return false, err
		}
		return fmt.Sprint(a) == fmt.Sprint(b), nil
	case "Fn::Not":
		if len(args) != 1 {
			return false, fmt.Errorf("Fn::Not wants 1 argument, got %v", arg)
		}
		v, err := s.evalBool(args[0])
		return !v, err
	case "Fn::And", "Fn::Or":
		and := fn == "Fn::And"
		for _, a := range args {
			v, err := s.evalBool(a)
			if err != nil {
				return false, err
			}
			if v != and {
				return v, nil
			}
		}
		return and, nil
	}
	return false, fmt.Errorf("unknown condition function %s", fn)
}

// intrinsic reports whether v is a one-key map naming an intrinsic function.
func intrinsic(v any) (fn string, arg any, ok bool) {
	m, isMap := v.(map[string]any)
	if !isMap || len(m) != 1 {
		return "", nil, false
	}
	for k, a := range m {
		if k == "Ref" || k == "Condition" || strings.HasPrefix(k, "Fn::") {
			return k, a, true
		}
	}
	return "", nil, false
}

// eval replaces every intrinsic function in v by its value.
func (s *stack) eval(v any) (any, error) {
	if fn, arg, ok := intrinsic(v); ok && fn != "Condition" {
		return s.evalFn(fn, arg)
	}
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, item := range v {
			r, err := s.eval(item)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			if r != noValue {
				out[k] = r
			}
		}
		return out, nil
	case []any:
		out := make([]any, 0, len(v))
		for i, item := range v {
			r, err := s.eval(item)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			if r != noValue {
				out = append(out, r)
			}
		}
		return out, nil
	}
	return v, nil
}

func (s *stack) evalFn(fn string, arg any) (any, error) {
	args, _ := arg.([]any)
	switch fn {
	case "Ref":
		name, _ := arg.(string)
		return s.ref(name)
	case "Fn::GetAtt":
		if name, ok := arg.(string); ok {
			id, attr, _ := strings.Cut(name, ".")
			return s.getAtt(id, attr)
		}
		if len(args) != 2 {
			return nil, fmt.Errorf("Fn::GetAtt wants 2 arguments, got %v", arg)
		}
		id, _ := args[0].(string)
		attr, _ := args[1].(string)
		return s.getAtt(id, attr)
	case "Fn::If":
		if len(args) != 3 {
			return nil, fmt.Errorf("Fn::If wants 3 arguments, got %v", arg)
		}
		name, _ := args[0].(string)
		ok, err := s.condition(name)
		if err != nil {
			return nil, err
		}
		if ok {
			return s.eval(args[1])
		}
		return s.eval(args[2])
	case "Fn::Sub":
		return s.sub(arg)
	case "Fn::Select":
		if len(args) != 2 {
			return nil, fmt.Errorf("Fn::Select wants 2 arguments, got %v", arg)
		}
		idx, err := s.eval(args[0])
		if err != nil {
			return nil, err
		}
		i, err := strconv.Atoi(fmt.Sprint(idx))
		if err != nil {
			return nil, fmt.Errorf("Fn::Select index %v: %w", idx, err)
		}
		list, err := s.eval(args[1])
		if err != nil {
			return nil, err
		}
		items, _ := list.([]any)
		if i < 0 || i >= len(items) {
			return nil, fmt.Errorf("Fn::Select index %d out of %v", i, list)
		}
		return items[i], nil
	case "Fn::Split":
		if len(args) != 2 {
			return nil, fmt.Errorf("Fn::Split wants 2 arguments, got %v", arg)
		}
		str, err := s.evalString(args[1])
		if err != nil {
			return nil, err
		}
		var out []any
		for _, part := range strings.Split(str, fmt.Sprint(args[0])) {
			out = append(out, part)
		}
		return out, nil
	case "Fn::Join":
		if len(args) != 2 {
			return nil, fmt.Errorf("Fn::Join wants 2 arguments, got %v", arg)
		}
		list, err := s.eval(args[1])
		if err != nil {
			return nil, err
		}
		items, _ := list.([]any)
		parts := make([]string, len(items))
		for i, item := range items {
			parts[i] = fmt.Sprint(item)
		}
		return strings.Join(parts, fmt.Sprint(args[0])), nil
	}
	return nil, fmt.Errorf("intrinsic %s is not supported by this test", fn)
}

func (s *stack) evalString(v any) (string, error) {
	r, err := s.eval(v)
	if err != nil {
		return "", err
	}
	str, ok := r.(string)
	if !ok {
		return "", fmt.Errorf("want a string, got %v", r)
	}
	return str, nil
}

var subVariable = regexp.MustCompile(`\$\{([^}]*)\}`)

func (s *stack) sub(arg any) (any, error) {
	format, vars := "", map[string]any{}
	switch a := arg.(type) {
	case string:
		format = a
	case []any:
		if len(a) != 2 {
			return nil, fmt.Errorf("Fn::Sub wants 1 or 2 arguments, got %v", arg)
		}
		format, _ = a[0].(string)
		vars, _ = a[1].(map[string]any)
	}
	var errs []error
	out := subVariable.ReplaceAllStringFunc(format, func(m string) string {
		name := m[2 : len(m)-1]
		if strings.HasPrefix(name, "!") {
			return "${" + name[1:] + "}"
		}
		var v any
		var err error
		switch expr, ok := vars[name]; {
		case ok:
			v, err = s.eval(expr)
		case strings.Contains(name, ".") && !strings.HasPrefix(name, "AWS::"):
			id, attr, _ := strings.Cut(name, ".")
			v, err = s.getAtt(id, attr)
		default:
			v, err = s.ref(name)
		}
		if err != nil {
			errs = append(errs, err)
			return ""
		}
		str, ok := v.(string)
		if !ok {
			errs = append(errs, fmt.Errorf("Fn::Sub ${%s} is %v, not a string", name, v))
		}
		return str
	})
	return out, errors.Join(errs...)
}

// physicalName is the made-up name of a resource this stack creates.
func physicalName(id string) string { return testStackName + "-" + id }

func (s *stack) ref(name string) (any, error) {
	switch name {
	case "AWS::Region":
		return testRegion, nil
	case "AWS::AccountId":
		return testAccount, nil
	case "AWS::Partition":
		return "aws", nil
	case "AWS::StackName":
		return testStackName, nil
	case "AWS::URLSuffix":
		return "amazonaws.com", nil
	case "AWS::NoValue":
		return noValue, nil
	}
	if v, ok := s.params[name]; ok {
		return v, nil
	}
	r, err := s.created(name)
	if err != nil {
		return nil, err
	}
	switch r.Type {
	case "AWS::SNS::Topic":
		return s.getAtt(name, "TopicArn")
	case "AWS::SQS::Queue":
		return s.getAtt(name, "QueueUrl")
	}
	return physicalName(name), nil
}

func (s *stack) created(id string) (resource, error) {
	r, ok := s.Resources[id]
	if !ok {
		if _, exists := s.raw[id]; exists {
			return r, fmt.Errorf("reference to %s, which these parameters do not create", id)
		}
		return r, fmt.Errorf("reference to unknown %s", id)
	}
	return r, nil
}

func (s *stack) getAtt(id, attr string) (any, error) {
	r, err := s.created(id)
	if err != nil {
		return nil, err
	}
	name := physicalName(id)
	prefix := "arn:aws:"
	switch r.Type + "." + attr {
	case "AWS::SNS::Topic.TopicArn":
		return prefix + "sns:" + testRegion + ":" + testAccount + ":" + name, nil
	case "AWS::SNS::Topic.TopicName", "AWS::SQS::Queue.QueueName":
		return name, nil
	case "AWS::SQS::Queue.Arn":
		return prefix + "sqs:" + testRegion + ":" + testAccount + ":" + name, nil
	case "AWS::SQS::Queue.QueueUrl":
		return "https://sqs." + testRegion + ".amazonaws.com/" + testAccount + "/" + name, nil
	case "AWS::Lambda::Function.Arn":
		return prefix + "lambda:" + testRegion + ":" + testAccount + ":function:" + name, nil
	case "AWS::Events::Rule.Arn":
		return prefix + "events:" + testRegion + ":" + testAccount + ":rule/" + name, nil
	case "AWS::CloudWatch::Alarm.Arn":
		return prefix + "cloudwatch:" + testRegion + ":" + testAccount + ":alarm:" + name, nil
	case "AWS::IAM::Role.Arn":
		return prefix + "iam::" + testAccount + ":role/" + name, nil
	case "AWS::Logs::LogGroup.Arn":
		return prefix + "logs:" + testRegion + ":" + testAccount + ":log-group:" + name + ":*", nil
	}
	return nil, fmt.Errorf("Fn::GetAtt %s.%s (%s) is not supported by this test", id, attr, r.Type)
}

// ofType lists the logical ids of the created resources of a type, sorted.
func (s *stack) ofType(typ string) []string {
	var ids []string
	for id, r := range s.Resources {
		if r.Type == typ {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

// mustRef is ref for a test: the value of Ref id.
func (s *stack) mustRef(t *testing.T, id string) string {
	t.Helper()
	v, err := s.ref(id)
	if err != nil {
		t.Fatalf("Ref %s: %v", id, err)
	}
	return fmt.Sprint(v)
}

// mustGetAtt is getAtt for a test.
func (s *stack) mustGetAtt(t *testing.T, id, attr string) string {
	t.Helper()
	v, err := s.getAtt(id, attr)
	if err != nil {
		t.Fatalf("GetAtt %s.%s: %v", id, attr, err)
	}
	return fmt.Sprint(v)
}

// dig walks maps by key and lists by index and returns what it finds there,
// or nil.
func dig(v any, path ...string) any {
	for _, p := range path {
		switch c := v.(type) {
		case map[string]any:
			v = c[p]
		case []any:
			i, err := strconv.Atoi(p)
			if err != nil || i < 0 || i >= len(c) {
				return nil
			}
			v = c[i]
		default:
			return nil
		}
	}
	return v
}

// strings of a value that IAM and CloudFormation let be one string or a list.
func stringsOf(v any) []string {
	switch v := v.(type) {
	case nil:
		return nil
	case string:
		return []string{v}
	case []any:
		out := make([]string, 0, len(v))
		for _, item := range v {
			out = append(out, fmt.Sprint(item))
		}
		return out
	}
	return []string{fmt.Sprint(v)}
}
