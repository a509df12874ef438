package samtemplate_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// How CloudFormation orders a stack's resources, modelled on the template
// after SAM's transform, which is what CloudFormation receives.
//
// AWS CloudFormation Template Reference, "DependsOn attribute": besides
// DependsOn, a resource depends implicitly on every resource it names with
// Ref, Fn::GetAtt or Fn::Sub; the one named is created and updated first,
// deleted last. CloudFormation resolves these anywhere in a resource, not
// only in Properties: an alias's UpdatePolicy naming its CodeDeploy
// deployment group orders the group first (SAM's DeploymentPreference
// writes exactly that). A cycle is refused before anything is created:
// "Circular dependency between resources: [...]".
//
// cfn-lint (>= 1.54) no longer runs SAM's transform and skips cycles that
// touch an AWS::Serverless:: type, so on template.yaml it cannot see a
// cycle that exists only after the transform (1.0.0 shipped one). This
// check does not depend on a linter's choices.

// dependency is one edge of the graph: the resource depends on On because
// of the reference at At (a path inside the resource), or DependsOn.
type dependency struct{ On, At string }

// dependencies lists what each resource of res depends on, each target
// once (at its first reference, in a stable order), as CloudFormation
// orders them. Refs to parameters, pseudo parameters and resources not in
// res are not dependencies. Both branches of an Fn::If count: a cycle
// under any parameter values fails that deploy.
func dependencies(res map[string]map[string]any) map[string][]dependency {
	out := map[string][]dependency{}
	for _, id := range slices.Sorted(maps.Keys(res)) {
		r := res[id]
		seen := map[string]bool{}
		add := func(at, target string) {
			if _, ok := res[target]; ok && !seen[target] {
				seen[target] = true
				out[id] = append(out[id], dependency{On: target, At: at})
			}
		}
		switch d := r["DependsOn"].(type) {
		case string:
			add("DependsOn", d)
		case []any:
			for _, x := range d {
				if s, ok := x.(string); ok {
					add("DependsOn", s)
				}
			}
		}
		for _, k := range slices.Sorted(maps.Keys(r)) {
			if k != "DependsOn" {
				walkRefs(r[k], k, add)
			}
		}
	}
	return out
}

// subVar is a ${Name} or ${Name.Attribute} of Fn::Sub; ${!Literal} and
// ${AWS::Region} are not.
var subVar = regexp.MustCompile(`\$\{([A-Za-z0-9]+)[.}]`)

// walkRefs calls found with the path and the logical id of every Ref,
// Fn::GetAtt (both forms) and ${...} of Fn::Sub in v. A name that an
// Fn::Sub's own variable map defines is that variable, not a resource.
func walkRefs(v any, path string, found func(path, target string)) {
	switch v := v.(type) {
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(v)) {
			x := v[k]
			switch k {
			case "Ref":
				if s, ok := x.(string); ok {
					found(path, s)
				}
			case "Fn::GetAtt":
				switch a := x.(type) {
				case []any:
					if len(a) > 0 {
						found(path, fmt.Sprint(a[0]))
					}
				case string: // "Resource.Attribute"
					found(path, strings.SplitN(a, ".", 2)[0])
				}
			case "Fn::Sub":
				s, _ := x.(string)
				vars := map[string]any{}
				if l, ok := x.([]any); ok && len(l) > 0 {
					s, _ = l[0].(string)
					if len(l) > 1 {
						vars, _ = l[1].(map[string]any)
						walkRefs(l[1], path+".Fn::Sub", found)
					}
				}
				for _, m := range subVar.FindAllStringSubmatch(s, -1) {
					if _, own := vars[m[1]]; !own {
						found(path, m[1])
					}
				}
			default:
				walkRefs(x, path+"."+k, found)
			}
		}
	case []any:
		for i, x := range v {
			walkRefs(x, fmt.Sprintf("%s[%d]", path, i), found)
		}
	}
}

// cycles describes every dependency cycle of deps, as CloudFormation would
// refuse it: "circular dependency: A -> B -> A" and, for each step, where
// the reference is. Each strongly connected group of resources gives one
// shortest cycle through each of its resources not yet named.
func cycles(deps map[string][]dependency) []string {
	var out []string
	for _, group := range components(deps) {
		in := map[string]bool{}
		for _, id := range group {
			in[id] = true
		}
		if len(group) == 1 && !slices.ContainsFunc(deps[group[0]], func(d dependency) bool { return d.On == group[0] }) {
			continue
		}
		named := map[string]bool{}
		for _, id := range group {
			if named[id] {
				continue
			}
			path := shortestCycle(deps, in, id)
			names := []string{id}
			var steps []string
			for _, d := range path {
				named[d.On] = true
				steps = append(steps, fmt.Sprintf("  %s depends on %s (%s)", names[len(names)-1], d.On, d.At))
				names = append(names, d.On)
			}
			out = append(out, "circular dependency: "+strings.Join(names, " -> ")+"\n"+strings.Join(steps, "\n"))
		}
	}
	return out
}

// shortestCycle is the shortest walk from id back to id within in, by
// breadth-first search (id is in a strongly connected group: one exists).
func shortestCycle(deps map[string][]dependency, in map[string]bool, id string) []dependency {
	type step struct {
		from string
		dep  dependency
	}
	prev := map[string]step{}
	queue := []string{id}
	for len(queue) > 0 {
		at := queue[0]
		queue = queue[1:]
		for _, d := range deps[at] {
			if !in[d.On] {
				continue
			}
			if d.On == id {
				path := []dependency{d}
				for n := at; n != id; n = prev[n].from {
					path = append([]dependency{prev[n].dep}, path...)
				}
				return path
			}
			if _, ok := prev[d.On]; !ok {
				prev[d.On] = step{from: at, dep: d}
				queue = append(queue, d.On)
			}
		}
	}
	return nil
}

// components are the strongly connected groups of deps (Tarjan's
// algorithm), each sorted, in a stable order.
func components(deps map[string][]dependency) [][]string {
	nodes := map[string]bool{}
	for id, ds := range deps {
		nodes[id] = true
		for _, d := range ds {
			nodes[d.On] = true
		}
	}
	index, low, onStack := map[string]int{}, map[string]int{}, map[string]bool{}
	var stack []string
	var out [][]string
	var visit func(string)
	visit = func(v string) {
		index[v], low[v] = len(index), len(index)
		stack = append(stack, v)
		onStack[v] = true
		for _, d := range deps[v] {
			if _, seen := index[d.On]; !seen {
				visit(d.On)
				low[v] = min(low[v], low[d.On])
			} else if onStack[d.On] {
				low[v] = min(low[v], index[d.On])
			}
		}
		if low[v] == index[v] {
			var group []string
			for {
				n := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				onStack[n] = false
				group = append(group, n)
				if n == v {
					break
				}
			}
			slices.Sort(group)
			out = append(out, group)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(nodes)) {
		if _, seen := index[id]; !seen {
			visit(id)
		}
	}
	slices.SortFunc(out, func(a, b []string) int { return strings.Compare(a[0], b[0]) })
	return out
}

// TestNoDependencyCycle: CloudFormation can order the expanded template.
func TestNoDependencyCycle(t *testing.T) {
	res := expanded(t)
	deps := dependencies(res)
	for _, c := range cycles(deps) {
		t.Error(c)
	}
	// The walk sees what closed 1.0.0's cycle: the routes' integrations
	// name the aliases, and the aliases' UpdatePolicy the deployment groups.
	for _, want := range []struct{ from, on, at string }{
		{"HttpApi", "SubmitFunctionAliaslive", "Properties.Body"},
		{"HttpApi", "StaffFunctionAliaslive", "Properties.Body"},
		{"SubmitFunctionAliaslive", "SubmitFunctionDeploymentGroup", "UpdatePolicy.CodeDeployLambdaAliasUpdate.DeploymentGroupName"},
		{"StaffFunctionDeploymentGroup", "HttpApi5xxAlarm", "Properties.AlarmConfiguration"},
	} {
		if !slices.ContainsFunc(deps[want.from], func(d dependency) bool {
			return d.On == want.on && strings.HasPrefix(d.At, want.at)
		}) {
			t.Errorf("%s: no dependency on %s at %s... found (%v): is the walk seeing the expanded template?", want.from, want.on, want.at, deps[want.from])
		}
	}
}

// TestCycleOf1_0_0: the check refuses the cycle 1.0.0 shipped. The fixture
// holds the six resources of that cycle as infra/expand.py expanded
// 72976af's template.yaml: each alias's UpdatePolicy names its deployment
// group, whose rollback alarms include HttpApi5xxAlarm, whose ApiId
// dimension names HttpApi, whose routes target the aliases.
func TestCycleOf1_0_0(t *testing.T) {
	data, err := os.ReadFile("testdata/expanded-1.0.0-cycle.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct{ Resources map[string]map[string]any }
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range cycles(dependencies(doc.Resources)) {
		got = append(got, strings.SplitN(c, "\n", 2)[0])
	}
	want := []string{
		"circular dependency: HttpApi -> SubmitFunctionAliaslive -> SubmitFunctionDeploymentGroup -> HttpApi5xxAlarm -> HttpApi",
		"circular dependency: StaffFunctionAliaslive -> StaffFunctionDeploymentGroup -> HttpApi5xxAlarm -> HttpApi -> StaffFunctionAliaslive",
	}
	if !slices.Equal(got, want) {
		t.Errorf("cycles of 1.0.0's template:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestCycleThroughUpdatePolicyOnly: the smallest loop SAM's canaries can
// close, through nothing but an alias's UpdatePolicy: the alias's update
// names its deployment group, whose rollback alarm watches that alias.
func TestCycleThroughUpdatePolicyOnly(t *testing.T) {
	var res map[string]map[string]any
	if err := json.Unmarshal([]byte(`{
		"FnAliaslive": {"Type": "AWS::Lambda::Alias", "Properties": {"Name": "live"},
			"UpdatePolicy": {"CodeDeployLambdaAliasUpdate": {"ApplicationName": "App", "DeploymentGroupName": {"Ref": "FnDeploymentGroup"}}}},
		"FnDeploymentGroup": {"Type": "AWS::CodeDeploy::DeploymentGroup",
			"Properties": {"AlarmConfiguration": {"Enabled": true, "Alarms": [{"Name": {"Ref": "FnCanaryAlarm"}}]}}},
		"FnCanaryAlarm": {"Type": "AWS::CloudWatch::Alarm",
			"Properties": {"Dimensions": [{"Name": "Resource", "Value": {"Ref": "FnAliaslive"}}]}}}`), &res); err != nil {
		t.Fatal(err)
	}
	got := cycles(dependencies(res))
	want := "circular dependency: FnAliaslive -> FnDeploymentGroup -> FnCanaryAlarm -> FnAliaslive\n" +
		"  FnAliaslive depends on FnDeploymentGroup (UpdatePolicy.CodeDeployLambdaAliasUpdate.DeploymentGroupName)\n" +
		"  FnDeploymentGroup depends on FnCanaryAlarm (Properties.AlarmConfiguration.Alarms[0].Name)\n" +
		"  FnCanaryAlarm depends on FnAliaslive (Properties.Dimensions[0].Value)"
	if len(got) != 1 || got[0] != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestDependencies(t *testing.T) {
	for _, tt := range []struct {
		name string
		res  string // the Resources of a template, as JSON
		want map[string][]dependency
	}{
		{"Ref, GetAtt in both forms, Sub", `{
			"A": {"Properties": {"X": {"Ref": "B"}, "Y": {"Fn::GetAtt": ["C", "Arn"]}, "Z": {"Fn::GetAtt": "D.Arn"}, "W": {"Fn::Sub": "${E}/${F.Arn}/${!G}/${AWS::Region}"}}},
			"B": {}, "C": {}, "D": {}, "E": {}, "F": {}, "G": {}}`,
			map[string][]dependency{"A": {{"E", "Properties.W"}, {"F", "Properties.W"}, {"B", "Properties.X"}, {"C", "Properties.Y"}, {"D", "Properties.Z"}}}},
		{"Sub's own variables shadow, their values count", `{
			"A": {"Properties": {"X": {"Fn::Sub": ["${B}-${C}", {"B": {"Ref": "D"}}]}}},
			"B": {}, "C": {}, "D": {}}`,
			map[string][]dependency{"A": {{"D", "Properties.X.Fn::Sub.B"}, {"C", "Properties.X"}}}},
		{"DependsOn, a string or a list", `{
			"A": {"DependsOn": "B"}, "B": {"DependsOn": ["C", "D"]}, "C": {}, "D": {}}`,
			map[string][]dependency{"A": {{"B", "DependsOn"}}, "B": {{"C", "DependsOn"}, {"D", "DependsOn"}}}},
		{"UpdatePolicy, CreationPolicy and Metadata count as Properties do", `{
			"A": {"UpdatePolicy": {"CodeDeployLambdaAliasUpdate": {"DeploymentGroupName": {"Ref": "B"}}}, "CreationPolicy": {"X": {"Ref": "C"}}, "Metadata": {"X": {"Ref": "D"}}},
			"B": {}, "C": {}, "D": {}}`,
			map[string][]dependency{"A": {{"C", "CreationPolicy.X"}, {"D", "Metadata.X"}, {"B", "UpdatePolicy.CodeDeployLambdaAliasUpdate.DeploymentGroupName"}}}},
		{"parameters and pseudo parameters are not resources", `{
			"A": {"Properties": {"X": {"Ref": "Param"}, "Y": {"Ref": "AWS::StackName"}, "Z": {"Fn::Sub": "${Param}"}}}}`,
			map[string][]dependency{}},
		{"both branches of Fn::If, each target once", `{
			"A": {"Properties": {"X": {"Fn::If": ["Cond", {"Ref": "B"}, {"Ref": "C"}]}, "Y": {"Ref": "B"}}},
			"B": {}, "C": {}}`,
			map[string][]dependency{"A": {{"B", "Properties.X.Fn::If[1]"}, {"C", "Properties.X.Fn::If[2]"}}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var res map[string]map[string]any
			if err := json.Unmarshal([]byte(tt.res), &res); err != nil {
				t.Fatal(err)
			}
			got := dependencies(res)
			if !maps.EqualFunc(got, tt.want, slices.Equal) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCycles(t *testing.T) {
	d := func(on string) dependency { return dependency{On: on, At: "Properties.X"} }
	for _, tt := range []struct {
		name string
		deps map[string][]dependency
		want []string
	}{
		{"none: a chain and a diamond", map[string][]dependency{"A": {d("B"), d("C")}, "B": {d("D")}, "C": {d("D")}}, nil},
		{"itself", map[string][]dependency{"A": {d("A")}}, []string{"circular dependency: A -> A"}},
		{"two", map[string][]dependency{"A": {d("B")}, "B": {d("A")}}, []string{"circular dependency: A -> B -> A"}},
		{"the shortest way back", map[string][]dependency{"A": {d("B"), d("C")}, "B": {d("C")}, "C": {d("A")}},
			[]string{"circular dependency: A -> C -> A", "circular dependency: B -> C -> A -> B"}},
		{"two groups apart", map[string][]dependency{"A": {d("B")}, "B": {d("A"), d("C")}, "C": {d("D")}, "D": {d("C")}},
			[]string{"circular dependency: A -> B -> A", "circular dependency: C -> D -> C"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, c := range cycles(tt.deps) {
				got = append(got, strings.SplitN(c, "\n", 2)[0])
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	// Each step says where its reference is.
	got := cycles(map[string][]dependency{"A": {{"B", "UpdatePolicy.X"}}, "B": {{"A", "Properties.Y"}}})
	if want := "circular dependency: A -> B -> A\n  A depends on B (UpdatePolicy.X)\n  B depends on A (Properties.Y)"; len(got) != 1 || got[0] != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
