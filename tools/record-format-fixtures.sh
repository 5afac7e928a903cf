#!/bin/bash
# Records how the docker CLI renders --format templates, for src/api's Go-template engine tests.
#   tools/reference-dockerd.sh start
#   tools/record-format-fixtures.sh
#   tools/reference-dockerd.sh stop
# Templates are rendered by the docker client, so the client decides (DOCKER_CLI, default the newest
# one on PATH); the daemon only supplies data. Each fixture file holds the data the templates were
# applied to (`docker inspect` JSON, `docker ps --format '{{json .}}'` lines) and, per template, the
# stdout, stderr and exit code the client gave. Tests feed that same data to berth's engine.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
eval "$("$repo/tools/reference-dockerd.sh" env)"
docker=${DOCKER_CLI:-$(command -v docker)}
out=$repo/test/fixtures/format
work=$(mktemp -d)
image=berth-test/format:1
trap '"$docker" rm -f berth-fmt-one berth-fmt-second >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

"$docker" info >/dev/null 2>&1 || { echo "record-format-fixtures: reference dockerd not answering; run tools/reference-dockerd.sh start" >&2; exit 1; }
"$docker" rm -f berth-fmt-one berth-fmt-second >/dev/null 2>&1 || true
"$repo/tools/make-busybox-rootfs.sh" | "$docker" import - "$image" >/dev/null
"$docker" create --name berth-fmt-one --label a=1 --label b=two -e FOO=bar -e X=y -w /tmp "$image" sh -c 'echo hi' >/dev/null
"$docker" create --name berth-fmt-second --label zz=last "$image" true >/dev/null
mkdir -p "$out"

# record <kind> <template-file>: one case per line of the template file (literal text, no escapes).
record() {
  local kind=$1 list=$2 n=0 template
  : >"$work/$kind.cases"
  while IFS= read -r template; do
    [ -n "$template" ] || continue
    n=$((n + 1))
    set +e
    if [ "$kind" = inspect ]; then
      "$docker" inspect -f "$template" berth-fmt-one >"$work/o" 2>"$work/e"
    else
      "$docker" ps -a --filter name=berth-fmt- --format "$template" >"$work/o" 2>"$work/e"
    fi
    code=$?
    set -e
    jq -n --arg t "$template" --rawfile o "$work/o" --rawfile e "$work/e" --argjson c "$code" \
      '{template: $t, stdout: $o, stderr: $e, exitCode: $c}' >>"$work/$kind.cases"
  done <"$list"
  echo "record-format-fixtures: $kind: $n templates" >&2
}

client_version=$("$docker" version --format '{{.Client.Version}}')
server_version=$("$docker" version --format '{{.Server.Version}}')

cat >"$work/inspect.list" <<'T'
{{.State.Pid}}
{{.Name}}
{{.Config.Env}}
{{.Config.Cmd}}
{{json .Config.Labels}}
{{json .State}}
{{json .Config.Cmd}}
{{range .Config.Env}}{{.}}{{"\n"}}{{end}}
{{range $i, $e := .Config.Env}}{{$i}}={{$e}};{{end}}
{{range $k, $v := .Config.Labels}}{{$k}}:{{$v}} {{end}}
{{range .Config.Env}}{{$.Name}} {{end}}
{{range $i, $e := .Config.Env}}{{if $i}},{{end}}{{$e}}{{end}}
{{range .Config.Env}}{{if eq . "X=y"}}{{break}}{{end}}{{.}} {{end}}
{{range .Config.Env}}{{if eq . "FOO=bar"}}{{continue}}{{end}}{{.}} {{end}}
{{range .Mounts}}{{.Source}}{{else}}no mounts{{end}}
{{if .State.Running}}up{{else}}down{{end}}
{{if eq .State.Status "running"}}R{{else if eq .State.Status "created"}}C{{else}}?{{end}}
{{index .Config.Labels "a"}}
{{index .Config.Labels "missing"}}|
{{index .Config.Env 1}}
{{index .Config.Cmd 2}}
{{len .Config.Env}} {{len .Config.Labels}} {{len .Name}}
{{.Config.Labels}}
{{.Name | printf "%q"}}
{{printf "%-12s|%5d|%x|%v|%05d|%X" .Config.WorkingDir .State.ExitCode 255 .State.Running 42 "hi"}}
{{printf "%s %d" "a"}}
{{printf "%5.2f|%t|%q|%v|%s" 3.14159 true 120 .Config.Env .Config.Labels}}
{{eq .State.ExitCode 0}} {{eq .State.ExitCode 1 2 0}} {{eq .State.Status "running" "created"}}
{{and .State.Running .State.Paused}} {{or .State.Running "x"}} {{not .State.Running}} {{and 1 "b"}} {{or 0 ""}}
{{lt 1 2}} {{le 2 2}} {{gt 1 2}} {{ge 3 2}} {{ne "a" "b"}} {{lt "a" "b"}} {{gt 1.5 1.25}}
{{with .Config.Labels}}{{.a}}{{end}}
{{with .Config.Nope}}yes{{else}}no{{end}}
{{with $x := .Config.WorkingDir}}{{$x}}{{end}}
{{$x := .Config.WorkingDir}}{{$x}} {{$x = "re"}}{{$x}}
{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}
{{join .Config.Env ","}}
{{split "a,b,c" ","}} {{len (split "a,b,c" ",")}}
{{lower "ABC"}} {{upper .Name}} {{title "hello world"}}
{{truncate "abcdef" 3}}|{{truncate "ab" 3}}|{{pad "x" 2 3}}|{{pad "" 2 3}}|
{{println "a" 1}}{{print "a" 1 2 "b"}}{{print 1 2}}{{println}}
{{- " a " -}}  x  {{- /* comment */ -}}   y   {{/* another */}}
{{`raw\n`}} {{"esc\tx"}} {{'a'}} {{3.5}} {{1e3}} {{0x10}} {{-7}} {{true}} {{nil | print}}
{{.Config.Nope}}
{{.Config.Nope.Deeper}}
{{slice "abcdef" 1 3}} {{slice .Config.Env 1}} {{slice .Config.Env 0 1}}
{{json .Mounts}} {{.Mounts}} {{len .Mounts}}
{{.HostConfig.Binds}} {{json .HostConfig.Binds}}
{{.Config.Tty}} {{.HostConfig.Memory}} {{.State.ExitCode}}
{{(index .Config.Env 0) | lower | upper}} {{.Config.Image | len}}
{{index . "Name"}} {{(index . "Config").WorkingDir}}
{{.Name}}{{if .State.Running}} running{{end}}{{"\n"}}second line
{{.Name
{{if .Name}}x
{{nope .Name}}
{{index .Config.Env 10}}
{{.Name.Foo}}
{{end}}
{{range .Name}}{{end}}
{{len 3}}
{{template "x"}}
{{.State.Pid | nope}}
{{$y}}
{{printf}}
{{(1}}
{{else}}
{{"unterminated}}
{{eq .Config.Env 1}}
{{lt .Name 1}}
{{index .Config.Labels 1}}
{{slice "abc" 2 1}}
{{.State.Pid 1}}
{{and}}
T

cat >"$work/ps.list" <<'T'
{{.Names}}
{{.Names}}\t{{.Image}}\n
table {{.Names}}\t{{.Image}}\t{{.Status}}
table {{.ID}}\t{{.Names}}
table {{.Names}}\t{{.Labels}}\t{{.Command}}
table {{.Names | upper}}\t{{lower .Image}}\t{{pad .State 1 1}}\t{{truncate .Names 4}}
table {{.Names}}: {{.State}}
table
json
{{json .}}
{{.Label "a"}}|{{.Label "zz"}}
{{.Names}} {{.Foo}}
{{.Names
   {{.Names}}   
T

record inspect "$work/inspect.list"
record ps "$work/ps.list"

"$docker" inspect berth-fmt-one >"$work/inspect.data"
"$docker" ps -a --filter name=berth-fmt- --format '{{json .}}' >"$work/ps.data"
jq -n --arg client "$client_version" --arg server "$server_version" --slurpfile data "$work/inspect.data" --slurpfile cases "$work/inspect.cases" \
  '{source: "recorded", client: $client, server: $server, command: "docker inspect -f TEMPLATE berth-fmt-one", data: $data[0][0], cases: $cases}' >"$out/inspect.json"
jq -n --arg client "$client_version" --arg server "$server_version" --slurpfile data "$work/ps.data" --slurpfile cases "$work/ps.cases" \
  '{source: "recorded", client: $client, server: $server, command: "docker ps -a --filter name=berth-fmt- --format TEMPLATE", data: $data, cases: $cases}' >"$out/ps.json"
"$docker" rmi "$image" >/dev/null 2>&1 || true
echo "record-format-fixtures: wrote $out/inspect.json $out/ps.json" >&2
