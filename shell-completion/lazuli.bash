# bash completion for lazuli(1): the candidates come from the program itself.
_lazuli() {
	local cur=${COMP_WORDS[COMP_CWORD]}
	local words=("${COMP_WORDS[@]:1:COMP_CWORD-1}")
	local prev=${COMP_WORDS[COMP_CWORD-1]}
	case $prev in
	--output | -o)
		mapfile -t COMPREPLY < <(compgen -W "json jsonc table tsv yaml yamlc none" -- "$cur")
		return
		;;
	esac
	mapfile -t COMPREPLY < <(compgen -W "$(lazuli __complete "${words[@]}" 2>/dev/null)" -- "$cur")
}
complete -F _lazuli lazuli
