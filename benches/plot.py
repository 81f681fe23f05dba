"""Draws docs/bench-plan.svg from target/bench/plan_apply.csv (written by the plan_apply
bench): plan requests and plan wall time against stack size, eksfed's bulk reading next to
per-resource reading. No dependencies beyond the standard library."""
import csv, math, sys, os

rows = list(csv.DictReader(open(sys.argv[1] if len(sys.argv) > 1 else "target/bench/plan_apply.csv")))
out = sys.argv[2] if len(sys.argv) > 2 else "docs/bench-plan.svg"
W, H, M = 420, 300, 55


def panel(x0, title, ylabel, series, log=True):
    xs = [float(r["roles"]) for r in rows]
    ys = [float(v) for s in series for v in s[1]]
    lo, hi = (min(ys) / 2, max(ys) * 2) if log else (0, max(ys) * 1.15)
    fx = lambda x: x0 + M + (math.log10(x) - math.log10(min(xs) / 1.5)) / (math.log10(max(xs) * 1.5) - math.log10(min(xs) / 1.5)) * (W - 2 * M)
    fy = (lambda y: H - M - (math.log10(y) - math.log10(lo)) / (math.log10(hi) - math.log10(lo)) * (H - 2 * M)) if log else (lambda y: H - M - (y - lo) / (hi - lo) * (H - 2 * M))
    s = [f'<text x="{x0 + W / 2}" y="20" text-anchor="middle" font-weight="bold">{title}</text>',
         f'<line x1="{x0 + M}" y1="{H - M}" x2="{x0 + W - M}" y2="{H - M}" stroke="black"/>',
         f'<line x1="{x0 + M}" y1="{M}" x2="{x0 + M}" y2="{H - M}" stroke="black"/>',
         f'<text x="{x0 + W / 2}" y="{H - 15}" text-anchor="middle">roles in the stack (log scale)</text>',
         f'<text x="{x0 + 14}" y="{H / 2}" transform="rotate(-90 {x0 + 14} {H / 2})" text-anchor="middle">{ylabel}</text>']
    for x in xs:
        s.append(f'<text x="{fx(x)}" y="{H - M + 16}" text-anchor="middle" font-size="11">{int(x)}</text>')
    for k in range(int(math.floor(math.log10(lo))), int(math.ceil(math.log10(hi))) + 1) if log else []:
        y = 10 ** k
        if lo <= y <= hi:
            s.append(f'<text x="{x0 + M - 5}" y="{fy(y) + 4}" text-anchor="end" font-size="11">{y:g}</text>')
            s.append(f'<line x1="{x0 + M}" y1="{fy(y)}" x2="{x0 + W - M}" y2="{fy(y)}" stroke="#ddd"/>')
    for i, (name, vals, color) in enumerate(series):
        pts = " ".join(f"{fx(x)},{fy(float(v))}" for x, v in zip(xs, vals))
        s.append(f'<polyline points="{pts}" fill="none" stroke="{color}" stroke-width="2"/>')
        for x, v in zip(xs, vals):
            s.append(f'<circle cx="{fx(x)}" cy="{fy(float(v))}" r="3.5" fill="{color}"/>')
            s.append(f'<text x="{fx(x) + 6}" y="{fy(float(v)) - 6}" font-size="11" fill="{color}">{v}</text>')
        s.append(f'<text x="{x0 + M + 10}" y="{M - 18 + 14 * i}" font-size="12" fill="{color}">{name}</text>')
    return "\n".join(s)


req = panel(0, "Plan: requests", "requests (log scale)", [
    ("per-resource reading (GetRole, ListRolePolicies, ...)", [r["baseline_requests"] for r in rows], "#c0392b"),
    ("eksfed (AWS + Kubernetes)", [str(int(r["plan_aws_requests"]) + int(r["plan_kube_requests"])) for r in rows], "#1f6feb"),
])
tim = panel(W, "Plan: wall time", "seconds (log scale)", [
    ("per-resource reading", [r["baseline_s"] for r in rows], "#c0392b"),
    ("eksfed read + diff", [r["plan_s"] for r in rows], "#1f6feb"),
])
os.makedirs(os.path.dirname(out), exist_ok=True)
open(out, "w").write(f'<svg xmlns="http://www.w3.org/2000/svg" width="{2 * W}" height="{H}" font-family="sans-serif" font-size="12">\n<rect width="100%" height="100%" fill="white"/>\n{req}\n{tim}\n</svg>\n')
print("wrote", out)
