package local

import (
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openclinic/leadhandler/internal/dev/samtemplate"
	"github.com/openclinic/leadhandler/internal/dev/testenv"
)

// TestEveryTemplateRouteIsServed: each HttpApi route the template gives a
// function reaches that function through make dev's runner (routes.go),
// not the runner's own 404 or 405: a route added to the template alone, or
// to the runner alone, fails here.
func TestEveryTemplateRouteIsServed(t *testing.T) {
	tpl, err := samtemplate.Load(filepath.Join(testenv.Root(t), "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	srv, base := serve(t, nil)
	h := srv.routes()
	seen := map[string]bool{}
	for id, fn := range tpl.GetAllServerlessFunctionResources() {
		for name, ev := range fn.Events {
			if ev.Type != "HttpApi" || ev.Properties == nil || ev.Properties.HttpApiEvent == nil {
				continue
			}
			e := ev.Properties.HttpApiEvent
			if e.Method == nil || e.Path == nil {
				t.Errorf("%s.%s: no method or path", id, name)
				continue
			}
			seen[strings.ToUpper(*e.Method)+" "+*e.Path] = true
			method, path := strings.ToUpper(*e.Method), strings.ReplaceAll(*e.Path, "{id}", "0196a1b2-0000-7000-8000-000000000000")
			req := httptest.NewRequest(method, base+path, nil)
			req.Host = strings.TrimPrefix(base, "http://")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			body := rec.Body.String()
			if body == "404 page not found\n" || strings.HasPrefix(body, "Method Not Allowed") {
				t.Errorf("%s.%s (%s %s): make dev's runner answers %d %q", id, name, method, *e.Path, rec.Code, body)
			}
		}
	}
	for _, r := range []string{"POST /leads", "GET /leads/{id}", "GET /staff/patient", "POST /leads/{id}/erase"} {
		if !seen[r] {
			t.Errorf("the template has no %s: the test no longer reads its routes (%v)", r, seen)
		}
	}
}
