#!/usr/bin/env python3
"""Generates the promtool differential corpus (tests/config/testdata/corpus).

Run from the corpus directory: `cd tests/config/testdata/corpus &&
rm -f *.yml && python3 ../gen_corpus.py`. Names say the verdict Prometheus
2.42's `promtool check config` gives (valid_* / invalid_*); files the configs
refer to live in corpus/files/. The generated files are committed, so the
test needs neither this script nor Python.
"""
import os
cases = {}
def v(name, body): cases['valid_' + name] = body
def i(name, body): cases['invalid_' + name] = body
def job(extra, name='node'):
    return "scrape_configs:\n- job_name: %s\n%s" % (name, ''.join('  ' + l + '\n' for l in extra.strip('\n').split('\n')))

v('empty', '')
v('minimal_job', job("static_configs:\n- targets: ['localhost:9100']"))
v('global_full', """global:
  scrape_interval: 15s
  scrape_timeout: 5s
  evaluation_interval: 30s
  query_log_file: query.log
  external_labels:
    region: eu
    replica: '1'
""")
v('global_null', "global:\n")
v('global_empty_map', "global: {}\n")
v('global_interval_0', "global:\n  scrape_interval: 0\n")
v('durations_compound', "global:\n  scrape_interval: 1h30m\n  scrape_timeout: 1m500ms\n")
v('durations_days_weeks_years', "global:\n  scrape_interval: 1y2w3d\n")
v('timeout_defaults_to_interval', "global:\n  scrape_timeout: 30s\n" + job("scrape_interval: 10s"))
v('job_all_2_42_fields', job("""honor_labels: true
honor_timestamps: false
params:
  module: [http_2xx]
  target: [a, b]
scrape_interval: 30s
scrape_timeout: 30s
metrics_path: /probe
scheme: https
body_size_limit: 10MB
sample_limit: 1000
target_limit: 10
label_limit: 30
label_name_length_limit: 200
label_value_length_limit: 500
follow_redirects: false
enable_http2: false
static_configs:
- targets: ['a:1', 'b:2']
  labels:
    env: prod"""))
v('yaml11_bools', job("honor_labels: yes\nhonor_timestamps: off\nfollow_redirects: Y"))
v('int_job_name', job("static_configs:\n- targets: ['x:1']", name='123'))
v('body_size_units', job("body_size_limit: 1.5KiB") + "- job_name: b\n  body_size_limit: 2GB\n- job_name: c\n  body_size_limit: 0\n- job_name: d\n  body_size_limit: 1B\n")
v('sample_limit_float', job("sample_limit: 1e3"))
v('sample_limit_hex', job("sample_limit: 0x10"))
v('bearer_token', job("bearer_token: abc"))
v('bearer_token_file', job("bearer_token_file: files/token"))
v('authorization_default_type', job("authorization:\n  credentials: abc"))
v('authorization_custom_type', job("authorization:\n  type: Token\n  credentials_file: files/token"))
v('basic_auth_password', job("basic_auth:\n  username: u\n  password: p"))
v('basic_auth_password_file', job("basic_auth:\n  username: u\n  password_file: files/password"))
v('basic_auth_password_file_missing', job("basic_auth:\n  username: u\n  password_file: files/nope"))
v('oauth2', job("oauth2:\n  client_id: id\n  client_secret: s\n  token_url: https://auth/token\n  scopes: [a, b]\n  endpoint_params: {x: y}"))
v('tls_full', job("scheme: https\ntls_config:\n  ca_file: files/nope-ca.pem\n  cert_file: files/client.crt\n  key_file: files/client.key\n  server_name: example\n  insecure_skip_verify: true\n  min_version: TLS12\n  max_version: TLS13"))
v('proxy', job("proxy_url: http://proxy:3128\nproxy_connect_header:\n  Proxy-Authorization: [Basic abc]"))
v('relabel_all_actions', job(r"""static_configs:
- targets: ['a:1']
relabel_configs:
- source_labels: [__address__]
  regex: '(.*):\d+'
  target_label: host
  replacement: '${1}'
- action: Keep
  source_labels: [job]
  regex: node
- action: drop
  source_labels: [env]
  regex: dev
- action: keepequal
  source_labels: [job]
  target_label: job
- action: dropequal
  source_labels: [host]
  target_label: never
- action: hashmod
  source_labels: [__address__]
  modulus: 8
  target_label: __tmp_hash
- action: labelmap
  regex: __meta_(.+)
  replacement: meta_$1
- action: labeldrop
  regex: tmp_.*
- action: labelkeep
  regex: .*
- action: lowercase
  source_labels: [host]
  target_label: host_lower
- action: uppercase
  source_labels: [host]
  target_label: host_upper
metric_relabel_configs:
- source_labels: [__name__]
  regex: go_.*
  action: drop"""))
v('relabel_target_templates', job("relabel_configs:\n- target_label: '${1}'\n- target_label: 'a$1b'\n- target_label: 'x'\n  regex: null\n- target_label: y\n  regex: '(?P<n>a)'\n  replacement: '${n}'"))
v('relabel_url_target_rewritten', job("relabel_configs:\n- source_labels: [__address__]\n  regex: 'http://(.*)'\n  target_label: __address__\nstatic_configs:\n- targets: ['http://host:9100']"))
v('relabel_keepequal_explicit_defaults', job("relabel_configs:\n- action: keepequal\n  source_labels: [a]\n  target_label: b\n  separator: ';'\n  modulus: 0"))
v('labeldrop_replacement_default', job("relabel_configs:\n- action: labeldrop\n  regex: a\n  replacement: '$1'"))
v('drop_ignores_target_label', job("relabel_configs:\n- action: drop\n  target_label: 'a-b'"))
v('file_sd', job("file_sd_configs:\n- files: ['targets/*.json', 'more.yml']\n  refresh_interval: 1m"))
v('other_sd_sections', job("dns_sd_configs:\n- names: [a.example.org]\nec2_sd_configs: []"))
v('ipv6_target', job("static_configs:\n- targets: ['[::1]:9100', '[::1]', 'host']"))
v('target_with_default_https', job("scheme: https\nstatic_configs:\n- targets: ['host']"))
v('unknown_scheme_with_port', job("scheme: ftp\nstatic_configs:\n- targets: ['host:21']"))
v('target_label_null_value', job("static_configs:\n- targets: ['a:1']\n  labels: {a: null}"))
v('ignored_sections', """rule_files: []
alerting:
  alertmanagers:
  - static_configs:
    - targets: ['am:9093']
remote_write:
- url: http://rw/api/v1/write
remote_read:
- url: http://rr/api/v1/read
storage:
  tsdb:
    out_of_order_time_window: 1h
tracing:
  endpoint: otel:4317
""")
v('scrape_configs_null', "scrape_configs:\n")
v('many_jobs', ''.join("- job_name: j%d\n  static_configs:\n  - targets: ['h%d:80']\n" % (n, n) for n in range(5)).join(["scrape_configs:\n", ""]))
v('anchors_aliases', "scrape_configs:\n- job_name: a\n  static_configs: &t\n  - targets: ['x:1']\n- job_name: b\n  static_configs: *t\n")
v('zero_job_interval_timeout', job("scrape_interval: 0s\nscrape_timeout: 0s"))
v('params_null', job("params:"))
v('metrics_path_int', job("metrics_path: 123"))

i('unknown_top_level', "foo: 1\n")
i('unknown_global_key', "global:\n  foo: 1\n")
i('unknown_job_key', job("foo: bar"))
i('global_timeout_gt_interval', "global:\n  scrape_timeout: 2m\n")
i('job_timeout_gt_interval', job("scrape_interval: 10s\nscrape_timeout: 20s"))
i('duration_fraction', "global:\n  scrape_interval: 1.5s\n")
i('duration_negative', "global:\n  scrape_interval: -1s\n")
i('duration_wrong_order', "global:\n  scrape_interval: 30m1h\n")
i('duration_empty', "global:\n  scrape_interval: ''\n")
i('duration_bare_number', "global:\n  scrape_interval: 10\n")
i('duration_overflow', job("scrape_interval: 9999999999y"))
i('body_size_no_unit', job("body_size_limit: 100"))
i('body_size_lowercase', job("body_size_limit: 10mb"))
i('body_size_space', job("body_size_limit: 10 MB"))
i('sample_limit_negative', job("sample_limit: -1"))
i('sample_limit_string', job("sample_limit: lots"))
i('bool_quoted', job("honor_labels: 'true'"))
i('bool_int', job("honor_labels: 1"))
i('job_name_missing', "scrape_configs:\n- scrape_interval: 1s\n")
i('job_name_list', "scrape_configs:\n- job_name: [a]\n")
i('duplicate_job', "scrape_configs:\n- job_name: a\n- job_name: a\n")
i('duplicate_key', job("honor_labels: true\nhonor_labels: false"))
i('duplicate_top_key', "global:\n  scrape_interval: 1s\nglobal:\n  scrape_interval: 2s\n")
i('null_scrape_config', "scrape_configs:\n-\n")
i('scrape_configs_map', "scrape_configs: {a: b}\n")
i('top_level_list', "- a\n")
i('top_level_scalar', "hello\n")
i('yaml_tab', "global:\n\tscrape_interval: 1s\n")
i('yaml_unclosed', "global: {scrape_interval: 1s\n")
i('external_label_bad_name', "global:\n  external_labels:\n    a-b: c\n")
i('params_not_list', job("params: {a: b}"))
i('static_url_target', job("static_configs:\n- targets: ['http://x:1']"))
i('static_url_target_with_relabel', job("relabel_configs:\n- action: keep\n  source_labels: [a]\n  regex: .*\nstatic_configs:\n- targets: ['http://x:1']"))
i('static_null_section', job("static_configs:\n-"))
i('static_bad_label_name', job("static_configs:\n- targets: ['x:1']\n  labels: {'a-b': c}"))
i('static_unknown_key', job("static_configs:\n- targets: ['x:1']\n  foo: 1"))
i('static_empty_target', job("static_configs:\n- targets: ['']"))
i('unknown_scheme_no_port', job("scheme: ftp\nstatic_configs:\n- targets: ['host']"))
i('target_bad_interval_label', job("static_configs:\n- targets: ['x:1']\n  labels: {__scrape_interval__: 2notseconds}"))
i('target_zero_interval_label', job("static_configs:\n- targets: ['x:1']\n  labels: {__scrape_interval__: 0s}"))
i('target_timeout_gt_interval_label', job("static_configs:\n- targets: ['x:1']\n  labels: {__scrape_interval__: 1s, __scrape_timeout__: 2s}"))
i('labelkeep_drops_address', job("relabel_configs:\n- action: labelkeep\n  regex: foo\nstatic_configs:\n- targets: ['x:1']"))
i('relabel_unknown_action', job("relabel_configs:\n- action: foo"))
i('relabel_empty_action', job("relabel_configs:\n- action: ''"))
i('relabel_hashmod_no_modulus', job("relabel_configs:\n- action: hashmod\n  target_label: x"))
i('relabel_replace_no_target', job("relabel_configs:\n- action: replace"))
i('relabel_bad_target', job("relabel_configs:\n- target_label: 'a-b'"))
i('relabel_bad_target_template', job("relabel_configs:\n- target_label: '-a$1'"))
i('relabel_lowercase_replacement', job("relabel_configs:\n- action: lowercase\n  target_label: x\n  replacement: y"))
i('relabel_keepequal_regex', job("relabel_configs:\n- action: keepequal\n  target_label: x\n  regex: '(.*)'"))
i('relabel_keepequal_separator', job("relabel_configs:\n- action: keepequal\n  target_label: x\n  separator: ','"))
i('relabel_dropequal_no_target', job("relabel_configs:\n- action: dropequal"))
i('relabel_labelmap_bad_replacement', job("relabel_configs:\n- action: labelmap\n  replacement: 'a-b'"))
i('relabel_labelmap_empty_replacement', job("relabel_configs:\n- action: labelmap\n  replacement: ''"))
i('relabel_labeldrop_source_labels', job("relabel_configs:\n- action: labeldrop\n  regex: a\n  source_labels: []"))
i('relabel_labelkeep_target', job("relabel_configs:\n- action: labelkeep\n  regex: a\n  target_label: x"))
i('relabel_bad_regex', job("relabel_configs:\n- regex: '('\n  target_label: x"))
i('relabel_regex_repeat', job("relabel_configs:\n- regex: 'a{1001}'\n  target_label: x"))
i('relabel_bad_source_label', job("relabel_configs:\n- source_labels: ['a-b']\n  target_label: x"))
i('relabel_source_labels_scalar', job("relabel_configs:\n- source_labels: a\n  target_label: x"))
i('relabel_unknown_field', job("relabel_configs:\n- action: keep\n  foo: 1"))
i('relabel_negative_modulus', job("relabel_configs:\n- action: keep\n  modulus: -1"))
i('relabel_hashmod_templated_target', job("relabel_configs:\n- action: hashmod\n  target_label: '$1'\n  modulus: 2"))
i('relabel_null_rule', job("relabel_configs:\n-"))
i('metric_relabel_null_rule', job("metric_relabel_configs:\n-"))
i('bearer_and_file', job("bearer_token: a\nbearer_token_file: files/token"))
i('basic_and_bearer', job("bearer_token: a\nbasic_auth: {username: u}"))
i('authorization_and_basic', job("authorization: {credentials: a}\nbasic_auth: {username: u}"))
i('authorization_and_bearer', job("authorization: {credentials: a}\nbearer_token: b"))
i('authorization_basic_type', job("authorization: {type: Basic, credentials: a}"))
i('authorization_creds_and_file', job("authorization: {credentials: a, credentials_file: files/token}"))
i('authorization_file_missing', job("authorization: {credentials_file: files/nope}"))
i('bearer_file_missing', job("bearer_token_file: files/nope"))
i('basic_password_and_file', job("basic_auth: {username: u, password: p, password_file: files/password}"))
i('oauth2_no_client_id', job("oauth2: {token_url: http://x, client_secret: s}"))
i('oauth2_no_secret', job("oauth2: {client_id: a, token_url: http://x}"))
i('oauth2_and_basic', job("oauth2: {client_id: a, client_secret: s, token_url: http://x}\nbasic_auth: {username: u}"))
i('tls_bad_version', job("tls_config: {min_version: TLS14}"))
i('tls_cert_without_key', job("tls_config: {cert_file: files/client.crt}"))
i('tls_key_without_cert', job("tls_config: {key_file: files/client.key}"))
i('tls_cert_missing', job("tls_config: {cert_file: files/nope.crt, key_file: files/client.key}"))
i('tls_unknown_key', job("tls_config: {foo: bar}"))
i('tls_bool_int', job("tls_config: {insecure_skip_verify: 1}"))
i('proxy_header_without_url', job("proxy_connect_header: {a: [b]}"))
i('proxy_bad_url', job("proxy_url: ':bad'"))
i('file_sd_bad_extension', job("file_sd_configs:\n- files: ['a.txt']"))
i('file_sd_no_files', job("file_sd_configs:\n- files: []"))
i('file_sd_double_star', job("file_sd_configs:\n- files: ['a/**/b.json']"))
i('file_sd_unknown_key', job("file_sd_configs:\n- files: ['a.json']\n  foo: 1"))
i('sd_not_in_debian_build', job("kubernetes_sd_configs:\n- role: pod"))
i('sd_unknown', job("bogus_sd_configs: []"))
i('rule_file_missing', "rule_files: ['files/nope.rules.yml']\n")
i('basic_auth_unknown_key', job("basic_auth: {user: u}"))

i('static_label_duplicate_key', job("static_configs: [{targets: [a:1], labels: {a: 1, a: 2}}]"))
i('params_duplicate_key', job("params: {a: [x], a: [y]}"))
i('external_labels_duplicate_key', "global:\n  external_labels: {a: 1, a: 2}\n")
v('global_timeout_zero', "global:\n  scrape_timeout: 0s\n")
v('relabel_int_scalars', job("relabel_configs: [{regex: 123, target_label: x}, {action: hashmod, target_label: y, modulus: 1.5}]"))
i('relabel_int_source_label', job("relabel_configs: [{source_labels: [123], target_label: x}]"))
i('relabel_int_target_label', job("relabel_configs: [{target_label: 123}]"))
i('relabel_null_action', job("relabel_configs: [{action: null, target_label: x}]"))
v('relabel_null_fields', job("relabel_configs: [{separator: null, replacement: null, regex: null, target_label: x}]"))
i('relabel_null_replacement_lowercase', job("relabel_configs: [{action: lowercase, replacement: null, target_label: x}]"))
v('static_null_targets', job("static_configs: [{targets: null}, {}]"))
v('static_int_label_value', job("static_configs: [{targets: [a:1], labels: {a: 1}}]"))
i('static_list_label_value', job("static_configs: [{targets: [a:1], labels: {a: [1]}}]"))
i('external_label_list_value', "global:\n  external_labels: {a: [b]}\n")
v('params_ints_and_null', job("params: {a: [1, 2], b: null}"))
i('job_name_empty_string', "scrape_configs:\n- job_name: ''\n")
i('job_name_null', "scrape_configs:\n- job_name: null\n")
v('job_name_bool', "scrape_configs:\n- job_name: true\n")
v('null_fields', job("honor_labels: null\nscheme: null\ntls_config: null\nmetrics_path: null"))
i('basic_auth_empty_and_bearer', job("basic_auth: {}\nbearer_token: x"))
v('authorization_empty', job("authorization: {}"))
i('oauth2_empty', job("oauth2: {}"))
v('group_label_address_ignored', job("static_configs: [{targets: ['a:1'], labels: {__address__: 'b/2'}}]") )
i('group_label_bad_interval', job("static_configs: [{targets: ['a:1'], labels: {__scrape_interval__: bad}}]"))
v('target_trailing_colon', job("static_configs: [{targets: ['a:']}]"))
v('target_unbalanced_bracket', job("scheme: ftp\nstatic_configs: [{targets: ['[a']}]"))
v('target_empty_host', job("static_configs: [{targets: [':80']}]"))
v('target_ipv6_bare', job("static_configs: [{targets: ['::1']}]"))
v('scheme_uppercase_with_port', job("scheme: HTTP\nstatic_configs: [{targets: ['a:1']}]"))
i('scheme_uppercase_without_port', job("scheme: HTTP\nstatic_configs: [{targets: ['a']}]"))
v('scheme_empty_without_port', job("scheme: ''\nstatic_configs: [{targets: ['a']}]"))
i('job_timeout_gt_default_interval', job("scrape_timeout: 2m"))
v('timeout_equals_interval', job("scrape_interval: 5s\nscrape_timeout: 5s"))
v('multi_document_only_first_read', "global: {}\n---\nfoo: 1\n")
i('rule_file_bad_pattern', "rule_files: ['a/*/b.yml']\n")
v('rule_file_glob_no_match', "rule_files: ['nope/*.yml']\n")
v('regex_unicode_class', job(r"relabel_configs: [{regex: '\\pL+', target_label: x}]"))
i('regex_backreference', job(r"relabel_configs: [{regex: '(a)\1', target_label: x}]"))
i('regex_lookahead', job("relabel_configs: [{regex: '(?=a)', target_label: x}]"))
i('regex_possessive', job("relabel_configs: [{regex: 'a++', target_label: x}]"))
v('dns_sd_null', job("dns_sd_configs: null"))

i('proxy_url_space_in_host', job("proxy_url: 'http://a b'"))
i('proxy_url_bad_escape', job("proxy_url: 'http://a%zz'"))
i('proxy_url_bad_port', job("proxy_url: 'http://p:abc'"))
i('proxy_url_unclosed_ipv6', job("proxy_url: 'http://[::1'"))
v('proxy_url_userinfo_ipv6', job("proxy_url: 'http://user:pw@[::1]:80/x?y#z'"))
v('proxy_url_no_scheme', job("proxy_url: 'p:3128'"))
i('relabel_keepequal_regex_null', job("relabel_configs: [{action: keepequal, target_label: x, regex: null}]"))
v('relabel_labeldrop_source_null', job("relabel_configs: [{action: labeldrop, regex: a, source_labels: null}]"))
v('relabel_action_uppercase', job("relabel_configs: [{action: LABELDROP, regex: a}]"))
v('relabel_labelmap_default_replacement', job("relabel_configs: [{action: labelmap, regex: 'a(.*)'}]"))
v('relabel_regex_flags_and_classes', job(r"relabel_configs: [{regex: '(?i)[[:alpha:]]+\\p{Greek}', target_label: x}]"))
i('relabel_regex_bad_class', job("relabel_configs: [{regex: '[[:foo:]]', target_label: x}]"))
i('relabel_regex_nested_repeat', job("relabel_configs: [{regex: 'a**', target_label: x}]"))
v('relabel_regex_repeat_1000', job("relabel_configs: [{regex: 'a{1000}', target_label: x}]"))
i('oauth2_tls_bad_version', job("oauth2: {client_id: a, client_secret: b, token_url: 'http://x', tls_config: {min_version: TLS15}}"))
i('oauth2_unknown_key', job("oauth2: {client_id: a, client_secret: b, token_url: 'http://x', foo: 1}"))
i('oauth2_secret_and_file', job("oauth2: {client_id: a, client_secret: s, client_secret_file: files/password, token_url: 'http://x'}"))
i('oauth2_and_bearer', job("oauth2: {client_id: a, client_secret: s, token_url: 'http://x'}\nbearer_token: x"))
i('authorization_type_basic_padded', job("authorization: {type: ' BASIC ', credentials: x}"))
v('authorization_type_blank', job("authorization: {type: '  ', credentials: x}"))
i('enable_http2_quoted', job("enable_http2: 'no'"))
v('follow_redirects_null', job("follow_redirects: null"))

v('file_sd_existing_files', job("file_sd_configs:\n- files: ['files/sd/good.json', 'files/sd/good.yml']"))
i('file_sd_bad_label', job("file_sd_configs:\n- files: ['files/sd/bad_label.json']"))
i('file_sd_url_target', job("file_sd_configs:\n- files: ['files/sd/url_target.yml']"))
i('file_sd_unknown_key', job("file_sd_configs:\n- files: ['files/sd/unknown_key.json']"))
i('file_sd_empty_target', job("file_sd_configs:\n- files: ['files/sd/empty_target.yml']"))
i('file_sd_broken_json', job("file_sd_configs:\n- files: ['files/sd/broken.json']"))
v('file_sd_url_target_rewritten', job("relabel_configs:\n- source_labels: [__address__]\n  regex: 'http://(.*)'\n  target_label: __address__\nfile_sd_configs:\n- files: ['files/sd/url_target.yml']"))

v('target_ipv6_https_default_port', job("scheme: https\nstatic_configs: [{targets: ['[::1]']}]"))
i('target_ipv6_unknown_scheme', job("scheme: ftp\nstatic_configs: [{targets: ['[::1]']}]"))
v('target_scheme_from_label', job("scheme: ftp\nstatic_configs: [{targets: ['h'], labels: {__scheme__: https}}]"))
i('target_scheme_label_unknown', job("static_configs: [{targets: ['h'], labels: {__scheme__: gopher}}]"))
v('target_interval_label_override', job("scrape_interval: 10s\nstatic_configs: [{targets: ['h:1'], labels: {__scrape_interval__: 1m, __scrape_timeout__: 30s}}]"))
i('target_timeout_label_too_big', job("static_configs: [{targets: ['h:1'], labels: {__scrape_timeout__: 2m}}]"))
v('relabel_drops_every_target', job("relabel_configs: [{action: drop, regex: '.*', source_labels: [__address__]}]\nstatic_configs: [{targets: ['http://bad/']}]"))
i('relabel_address_to_url', job("relabel_configs: [{target_label: __address__, replacement: 'http://x/'}]\nstatic_configs: [{targets: ['h:1']}]"))
i('relabel_interval_label_bad', job("relabel_configs: [{target_label: __scrape_interval__, replacement: 'soon'}]\nstatic_configs: [{targets: ['h:1']}]"))
v('external_labels_utf8_value', "global:\n  external_labels: {city: 'Zürich'}\n")

for name, body in sorted(cases.items()):
    with open(name + '.yml', 'w') as f:
        f.write(body)
print(len(cases), sum(1 for k in cases if k.startswith('valid_')), sum(1 for k in cases if k.startswith('invalid_')))
