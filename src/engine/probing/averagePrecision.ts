// Average precision of scores against 0/1 labels, scikit-learn's definition: AP = Σ_n (R_n − R_{n−1}) · P_n over
// the distinct score thresholds, highest first (tied scores enter together). Used for the classification probe
// (METHODS.md §5.6).
export function averagePrecision(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
  let positives = 0;
  for (let i = 0; i < n; i++) if (labels[i]) positives++;
  if (!positives) return 0;
  let tp = 0;
  let seen = 0;
  let ap = 0;
  let lastRecall = 0;
  for (let i = 0; i < n;) {
    let j = i;
    while (j < n && scores[order[j]] === scores[order[i]]) { if (labels[order[j]]) tp++; j++; }
    seen = j;
    const recall = tp / positives;
    ap += (recall - lastRecall) * (tp / seen);
    lastRecall = recall;
    i = j;
  }
  return ap;
}
