// The aws-auth judge: maps identities to Kubernetes usernames and groups with
// aws-iam-authenticator's own ConfigMap mapper (sigs.k8s.io/aws-iam-authenticator
// pkg/mapper/configmap, pkg/arn), as EKS does with the aws-auth ConfigMap.
//
// Input (stdin, JSON): {"cases": [{"name": "...", "data": {"mapRoles": "<yaml>",
// "mapUsers": "<yaml>", "mapAccounts": "<yaml>"}, "identities": [{"arn": "...",
// "session": "..."}]}]}. An identity's arn is what STS GetCallerIdentity returns (an
// assumed-role session ARN or an IAM user ARN); an IAM role ARN is turned into the session
// ARN STS returns for it (arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION: the role's path is
// not in it, aws-iam-authenticator#268).
//
// Output (stdout, JSON): one result per identity, in order: {"case", "arn", "mapped",
// "username", "groups"}.
//
// The mapper reads the ConfigMap the way the authenticator's server does: it watches
// kube-system/aws-auth through client-go, here served by a loopback HTTP server standing in
// for the API server, so parsing (ParseMap), storing (lower-cased keys) and lookup (Map) are
// the mapper's own code. The server's template rendering and mapAccounts fallback (package
// server, unexported) are written out below from its rules (pkg/server/server.go,
// renderTemplate and doMapping, v0.6.13).
package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"time"

	awsarn "github.com/aws/aws-sdk-go/aws/arn"
	"sigs.k8s.io/aws-iam-authenticator/pkg/arn"
	"sigs.k8s.io/aws-iam-authenticator/pkg/config"
	"sigs.k8s.io/aws-iam-authenticator/pkg/mapper"
	"sigs.k8s.io/aws-iam-authenticator/pkg/mapper/configmap"
	"sigs.k8s.io/aws-iam-authenticator/pkg/token"
)

type identityIn struct {
	ARN     string `json:"arn"`
	Session string `json:"session"`
}

type caseIn struct {
	Name       string            `json:"name"`
	Data       map[string]string `json:"data"`
	Identities []identityIn      `json:"identities"`
}

type result struct {
	Case     string   `json:"case"`
	ARN      string   `json:"arn"`
	Mapped   bool     `json:"mapped"`
	Username string   `json:"username"`
	Groups   []string `json:"groups"`
}

// The account a readiness probe asks about; no case uses it.
const sentinelAccount = "000000000000"

func main() {
	var in struct {
		Cases []caseIn `json:"cases"`
	}
	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		fail("reading cases: %v", err)
	}
	out := []result{}
	for _, c := range in.Cases {
		m := loaded(c.Data)
		for _, id := range c.Identities {
			out = append(out, judge(m, c.Name, id))
		}
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		fail("writing results: %v", err)
	}
}

func fail(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "authn-judge: "+format+"\n", a...)
	os.Exit(2)
}

// loaded returns a ConfigMap mapper that has read `data` as kube-system/aws-auth. The fake
// API server first serves a ConfigMap allowing only the sentinel account, then, once the
// mapper has it, the case's ConfigMap; the mapper has read the case when the sentinel is gone
// (saveMap replaces all three maps at once).
func loaded(data map[string]string) *configmap.ConfigMapMapper {
	events := make(chan map[string]string, 2)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("watch") != "true" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		typ := "ADDED"
		for d := range events {
			ev := map[string]any{"type": typ, "object": map[string]any{
				"apiVersion": "v1", "kind": "ConfigMap",
				"metadata": map[string]any{"name": "aws-auth", "namespace": "kube-system"},
				"data":     d,
			}}
			if err := json.NewEncoder(w).Encode(ev); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			typ = "MODIFIED"
		}
	}))
	m, err := configmap.NewConfigMapMapper(config.Config{Master: srv.URL})
	if err != nil {
		fail("creating the mapper: %v", err)
	}
	if err := m.Start(make(chan struct{})); err != nil {
		fail("starting the mapper: %v", err)
	}
	events <- map[string]string{"mapAccounts": "- \"" + sentinelAccount + "\"\n"}
	wait(func() bool { return m.IsAccountAllowed(sentinelAccount) })
	events <- data
	wait(func() bool { return !m.IsAccountAllowed(sentinelAccount) })
	return m
}

func wait(ok func() bool) {
	deadline := time.Now().Add(20 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			fail("the mapper did not read the ConfigMap within 20s")
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// judge maps one identity: the token package's identity from the STS answer, the mapper's
// Map, then the server's doMapping rules.
func judge(m *configmap.ConfigMapMapper, name string, in identityIn) result {
	id := identity(in)
	r := result{Case: name, ARN: id.ARN, Groups: []string{}}
	mapping, err := m.Map(id)
	if err == nil {
		r.Mapped = true
		r.Username = render(mapping.Username, id)
		for _, g := range mapping.Groups {
			r.Groups = append(r.Groups, render(g, id))
		}
		return r
	}
	if err != mapper.ErrNotMapped {
		fail("%s: %v", in.ARN, err)
	}
	// doMapping: an unmapped identity of an allowed account is its canonical ARN, no groups.
	if m.IsAccountAllowed(id.AccountID) {
		r.Mapped = true
		r.Username = id.CanonicalARN
	}
	return r
}

// identity is what the authenticator's token verifier makes of the STS answer
// (getIdentityFromSTSResponse): the ARN, its account, its canonical ARN (pkg/arn) and, for
// an assumed role, the session name (the part of the user ID after the colon, which is the
// last part of the session ARN).
func identity(in identityIn) *token.Identity {
	stsARN := in.ARN
	if p, err := awsarn.Parse(in.ARN); err == nil && p.Service == "iam" && strings.HasPrefix(p.Resource, "role/") {
		parts := strings.Split(p.Resource, "/")
		stsARN = fmt.Sprintf("arn:%s:sts::%s:assumed-role/%s/%s", p.Partition, p.AccountID, parts[len(parts)-1], in.Session)
	}
	p, err := awsarn.Parse(stsARN)
	if err != nil {
		fail("%s: %v", stsARN, err)
	}
	kind, canonical, err := arn.Canonicalize(stsARN)
	if err != nil {
		fail("%s: %v", stsARN, err)
	}
	id := &token.Identity{ARN: stsARN, CanonicalARN: canonical, AccountID: p.AccountID}
	if kind == arn.ASSUMED_ROLE {
		parts := strings.Split(p.Resource, "/")
		id.SessionName = parts[len(parts)-1]
	}
	return id
}

// render is the server's renderTemplate without {{EC2PrivateDNSName}} (an EC2 API call) and
// {{AccessKeyID}} (no key here).
func render(template string, id *token.Identity) string {
	template = strings.ReplaceAll(template, "{{AccountID}}", id.AccountID)
	template = strings.ReplaceAll(template, "{{SessionName}}", strings.ReplaceAll(id.SessionName, "@", "-"))
	return strings.ReplaceAll(template, "{{SessionNameRaw}}", id.SessionName)
}
