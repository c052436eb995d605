# Shared helpers for the bench/*/run.sh scripts (sourced).

# median VALUE… — the median of numbers (mean of the middle two for an even count).
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
