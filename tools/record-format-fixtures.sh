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
trap '"$docker" rm -f berth-fmt-one berth-fmt-second >/dev/null 2>&1 || true; "$docker" volume rm -f berth-fmt-vol berth-fmt-vol2 >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

"$docker" info >/dev/null 2>&1 || { echo "record-format-fixtures: reference dockerd not answering; run tools/reference-dockerd.sh start" >&2; exit 1; }
"$docker" rm -f berth-fmt-one berth-fmt-second >/dev/null 2>&1 || true
"$repo/tools/make-busybox-rootfs.sh" | "$docker" import - "$image" >/dev/null
"$docker" create --name berth-fmt-one --label a=1 --label b=two -e FOO=bar -e X=y -w /tmp "$image" sh -c 'echo hi' >/dev/null
"$docker" create --name berth-fmt-second --label zz=last "$image" true >/dev/null
"$docker" volume rm -f berth-fmt-vol berth-fmt-vol2 >/dev/null 2>&1 || true
"$docker" volume create --label v=1 --label w=two berth-fmt-vol >/dev/null
"$docker" volume create berth-fmt-vol2 >/dev/null
mkdir -p "$out"
# "N seconds ago" changes between the data and the cases; from 60 s to 119 s it reads "About a
# minute ago" throughout, so the recording starts a minute after creating the objects.
sleep 62

# record <kind> <template-file>: one case per line of the template file; \N in it stands for a newline.
record() {
  local kind=$1 list=$2 n=0 template
  : >"$work/$kind.cases"
  while IFS= read -r template; do
    [ -n "$template" ] || continue
    n=$((n + 1))
    template=${template//\\N/$'\n'}
    set +e
    case $kind in
      inspect) "$docker" inspect -f "$template" berth-fmt-one >"$work/o" 2>"$work/e" ;;
      ps) "$docker" ps -a --filter name=berth-fmt- --format "$template" >"$work/o" 2>"$work/e" ;;
      images) "$docker" images --filter reference="$image" --format "$template" >"$work/o" 2>"$work/e" ;;
      volumes) "$docker" volume ls --filter name=berth-fmt- --format "$template" >"$work/o" 2>"$work/e" ;;
      networks) "$docker" network ls --filter name=none --filter name=host --format "$template" >"$work/o" 2>"$work/e" ;;
    esac
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
{{.Name}}\N{{.Config.Nope}}
x\N{{.Name
a\N  b {{.State.Pid 1}}
{{.Name}}\N\N{{end}}
{{define "row"}}[{{.}}]{{end}}{{range .Config.Env}}{{template "row" .}}{{end}}{{template "row"}}
{{with .Config.Nope}}a{{else with .Config.Labels}}{{.b}}{{end}}
{{range $i, $e := .Config.Env}}{{range $.Config.Cmd}}{{$i}}{{.}} {{end}}{{end}}
{{range .Config.Env -}}   [{{.}}]   {{- end}}
{{range 3}}{{.}}{{end}}
{{slice .Name 1}} {{(.Config.Env)}} {{$.Config.Cmd}} {{.Name | len}} {{index .Config.Cmd 0 | len}}
{{with $e := .Config.Env}}{{index $e 0}}{{end}}
{{printf "%6.2f|%-8v|%+d|%e|%o|%b|%c|%U|%T|%T|%T" 3.14159 "ab" 5 1234.5678 8 5 65 65 1 "s" .Config.Env}}
{{printf "%v %v %v %v %g" 1e6 0.000012 123456.0 2.50 1e21}}
{{printf "%s|%d|%d" 5 "x" 1 2}}
{{printf "%08.3f|%x|%X|%q|%5s|%-5s|%.2s|%5t" -3.5 "Hi" 255 .Config.Env "ab" "ab" "abc" true}}
{{html "<a&b\"'>"}} {{urlquery "a b&c/d"}} {{js "it's <x>"}} {{print nil}} {{len .Config.Labels}}
{{.Config.Labels.a}}
{{.Config.Labels.zz}}
{{.Config.Entrypoint}} {{json .Config.Entrypoint}}
{{.State}}
{{eq .State.Pid .State.ExitCode}} {{ne .Name "x"}} {{eq "a" "a" "b"}} {{not 0}} {{not ""}} {{and .Config.Env .Config.Cmd}}
{{if and .Config.Env (eq (len .Config.Env) 2)}}two{{end}}
{{if $x := .Config.WorkingDir}}{{$x}}{{end}}
{{"x" | 3}}
{{if true}}{{$x := 1}}{{end}}{{$x}}
{{range .Config.Env}}{{end}}{{break}}
{{upper 1}}
{{join .Config.Env 1}}
{{pad .Name 1}}
{{.Config.Env.Foo}}
{{index .Config.Env "a"}}
{{eq .Config.Env .Config.Env}}
{{lt true false}}
{{.}}x{{/* unclosed
{{define "x"}}y{{end}}
{{json .Config.Env 1}}
{{range $a, $b, $c := .Config.Env}}{{end}}
{{.Name}} {{.Name | printf "%s-%s" "p"}} {{"q" | printf "%s%s" "z"}}
{{- /* only a comment */ -}}
{{ .Name }}{{ "  " }}|{{- "	" -}}|
{{title "foo-bar baz_qux o'neil 3d"}} {{split "abc" ""}} {{split "" ","}} {{len (split "a,b," ",")}}
{{truncate .Name 0}}|{{truncate .Name 100}}|{{pad "ab" 0 0}}
{{json "<&>"}} {{json 1.5}} {{json .Config.Labels.a}} {{json true}} {{json nil}}
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
table {{.Names}}\t{{.Image}}\t
table {{.Names}}\t\t{{.State}}
table {{.Names}}\n{{.Image}}
table   {{.ID}}   
{{.Names}}\\t{{.State}}
{{.Names | printf "%-20s|"}}{{.State}}
table {{.Label "a"}}\t{{.Names}}
table {{title .State}}\t{{.Names}}
{{range .Names}}{{end}}
T

cat >"$work/images.list" <<'T'
table
table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.Digest}}\t{{.CreatedSince}}\t{{.CreatedAt}}\t{{.Size}}
table {{.Containers}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.VirtualSize}}
{{.Repository}}:{{.Tag}}
json
{{.Nope}}
T

cat >"$work/volumes.list" <<'T'
table
table {{.Name}}\t{{.Driver}}\t{{.Scope}}\t{{.Mountpoint}}\t{{.Labels}}\t{{.Links}}\t{{.Size}}
table {{.Label "v"}}\t{{.Name}}
{{.Name}} {{.Label "w"}}
json
{{.Nope}}
T

cat >"$work/networks.list" <<'T'
table
table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}\t{{.IPv6}}\t{{.Internal}}\t{{.Labels}}
{{.Name}} {{.Driver}}
json
{{.Nope}}
{{.Label "x"}}|
T

# write <kind> <command shown> <data file>: the data as a JSON array of the command's {{json .}} lines, or one object.
write() {
  jq -n --arg client "$client_version" --arg server "$server_version" --arg command "$2" --slurpfile data "$3" --slurpfile cases "$work/$1.cases" \
    '{source: "recorded", client: $client, server: $server, command: $command, data: (if $command | startswith("docker inspect") then $data[0][0] else $data end), cases: $cases}' >"$out/$1.json"
}

for kind in inspect ps images volumes networks; do record "$kind" "$work/$kind.list"; done

"$docker" inspect berth-fmt-one >"$work/inspect.data"
"$docker" ps -a --filter name=berth-fmt- --format '{{json .}}' >"$work/ps.data"
"$docker" images --filter reference="$image" --format '{{json .}}' >"$work/images.data"
"$docker" volume ls --filter name=berth-fmt- --format '{{json .}}' >"$work/volumes.data"
"$docker" network ls --filter name=none --filter name=host --format '{{json .}}' >"$work/networks.data"
write inspect "docker inspect -f TEMPLATE berth-fmt-one" "$work/inspect.data"
write ps "docker ps -a --filter name=berth-fmt- --format TEMPLATE" "$work/ps.data"
write images "docker images --filter reference=$image --format TEMPLATE" "$work/images.data"
write volumes "docker volume ls --filter name=berth-fmt- --format TEMPLATE" "$work/volumes.data"
write networks "docker network ls --filter name=none --filter name=host --format TEMPLATE" "$work/networks.data"
"$docker" rmi "$image" >/dev/null 2>&1 || true
echo "record-format-fixtures: wrote $out/{inspect,ps,images,volumes,networks}.json" >&2
