#!/bin/bash
# The bash completion of tenantctl (tools/bash-completion/tenantctl),
# sourced into a plain bash (no bash-completion package needed) and
# asked for what an admin would type.  Live users and session cookies are
# covered with a real tenant in tests/e2e/62-tenantctl-signal.sh.
cd "${TN_SRCDIR:-.}" || exit 2
n=0 failed=0
is() {
	n=$((n + 1))
	if [ "$1" = "$2" ]; then
		echo "ok $n - $3"
	else
		echo "not ok $n - $3"
		echo "#   got:  '$1'"
		echo "#   want: '$2'"
		failed=$((failed + 1))
	fi
}
# complete WORDS...: the completions for the last word.
complete_words() {
	COMP_WORDS=("$@")
	COMP_CWORD=$(($# - 1))
	COMPREPLY=()
	_tenantctl
	printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ $//'
}

# shellcheck source=../../tools/bash-completion/tenantctl
. tools/bash-completion/tenantctl
is "$(complete -p tenantctl)" "complete -F _tenantctl tenantctl" "registers _tenantctl for tenantctl"
# As a user who may not list the tenants: user names come from NSS.
tenantctl() { return 4; }
is "$(complete_words tenantctl '')" "--help --version check explain help kill list status terminate" \
	"every command"
is "$(complete_words tenantctl te)" "terminate" "a command's prefix"
is "$(complete_words tenantctl kill root --signal TE)" "TERM" "--signal: signal names"
is "$(complete_words tenantctl kill root --signal SIGKI)" "KILL" "... with SIG typed"
is "$(complete_words tenantctl kill root --signal = US)" "USR1 USR2" "... --signal=US"
is "$(complete_words tenantctl kill root --s)" "--session --signal" "kill's options"
is "$(complete_words tenantctl check --p)" "--pam --pam-dir --pam-dist-dir" "check's options"
is "$(complete_words tenantctl terminate --)" "--grace --session" "terminate's options"
is "$(complete_words tenantctl terminate root --grace '')" "0 10 30 5" "--grace: a few seconds"
is "$(complete_words tenantctl terminate root --grace 5 ro)" "" "... its value is not the user"
is "$(complete_words tenantctl explain roo)" "root" "explain: user names"
is "$(complete_words tenantctl kill --signal KILL roo)" "root" "kill: the user after --signal SIG"
is "$(complete_words tenantctl kill root ro)" "" "nothing after the user"
is "$(complete_words tenantctl check --pam --pam-dir tests/fixtures/pam.)" "tests/fixtures/pam.d" \
	"--pam-dir: directories"
is "$(complete_words tenantctl list '')" "" "list takes no user"
echo "1..$n"
[ "$failed" = 0 ]
