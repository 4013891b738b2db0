// gradcli's interactive page (render/page.py): steps the forward and backward pass over the SVG that
// gradcli drew, shows each step's rule, a node's numbers, an input's paths; pan, zoom, collapse chains.
// Static: everything it shows comes from the JSON block #gradcli-data. No network, no library.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("gradcli-data").textContent);
  var svg = document.getElementById("graph");
  var SVGNS = "http://www.w3.org/2000/svg";
  var forward = data.forward, backward = data.backward;
  var total = forward.length + backward.length;
  var state = 0; // how many steps are done: forward first, then backward
  var timer = null;
  var picked = null;

  function el(id) { return document.getElementById(id); }
  function node(id) { return el(id); }
  function text(tag, content, cls) {
    var e = document.createElement(tag);
    if (content !== undefined && content !== null) e.textContent = content;
    if (cls) e.className = cls;
    return e;
  }
  function clear(e) { while (e.firstChild) e.removeChild(e.firstChild); }
  function fmt(x) {
    if (typeof x === "string") return x; // "inf", "-inf", "nan"
    if (Number.isInteger(x) && Math.abs(x) < 1e15) return String(x);
    var s = x.toPrecision(6);
    if (s.indexOf("e") < 0 && s.indexOf(".") >= 0) s = s.replace(/0+$/, "").replace(/\.$/, "");
    return s;
  }

  // ---------------------------------------------------------------- stepping
  function render() {
    var i, s;
    var known = Math.min(state, forward.length);
    var grads = Math.max(0, state - forward.length);
    var all = svg.querySelectorAll(".node");
    for (i = 0; i < all.length; i++) all[i].classList.remove("has-value", "has-grad", "active");
    var used = svg.querySelectorAll(".edge.used-fwd, .edge.used-bwd");
    for (i = 0; i < used.length; i++) used[i].classList.remove("used-fwd", "used-bwd");
    for (i = 0; i < known; i++) node(forward[i].node).classList.add("has-value");
    for (i = 0; i < grads; i++) node(backward[i].node).classList.add("has-grad");
    var rule = el("rule-text");
    clear(rule);
    if (state === 0) {
      rule.appendChild(text("div", "Press step (\u2192) to run the forward pass: each node's value, in tape order."));
    } else {
      var forwardStep = state <= forward.length;
      s = forwardStep ? forward[state - 1] : backward[state - forward.length - 1];
      node(s.node).classList.add("active");
      reveal(s.node);
      for (i = 0; i < s.edges.length; i++) {
        var e = el(s.edges[i]);
        if (e) e.classList.add(forwardStep ? "used-fwd" : "used-bwd");
      }
      rule.appendChild(text("div", forwardStep ? "Forward pass, step " + state + " of " + forward.length
        : "Backward pass, step " + (state - forward.length) + " of " + backward.length));
      for (i = 0; i < s.rule.length; i++) rule.appendChild(text("div", s.rule[i], forwardStep ? "fwd" : "bwd"));
      if (state === forward.length) {
        rule.appendChild(text("div", "Forward pass done: " + data.output + " = " + data.valueText +
          ". Step on for the backward pass, from the output back."));
      }
    }
    el("counter").textContent = "step " + state + " / " + total +
      (state <= forward.length ? "  (forward)" : "  (backward)");
    el("back").disabled = state === 0;
    el("step").disabled = state === total;
  }
  function go(to) {
    state = Math.max(0, Math.min(total, to));
    render();
  }
  function play() {
    if (timer) { clearInterval(timer); timer = null; el("play").classList.remove("on"); return; }
    if (state === total) go(0);
    el("play").classList.add("on");
    timer = setInterval(function () {
      if (state >= total) { play(); return; }
      go(state + 1);
    }, 900);
  }

  // ---------------------------------------------------------------- details on click
  function matrix(value, cls) {
    var t = document.createElement("table");
    t.className = "matrix" + (cls ? " " + cls : "");
    var rows = Array.isArray(value) ? (Array.isArray(value[0]) ? value : [value]) : [[value]];
    for (var r = 0; r < rows.length; r++) {
      var tr = document.createElement("tr");
      var row = Array.isArray(rows[r]) ? rows[r] : [rows[r]];
      for (var c = 0; c < row.length; c++) {
        var cell = row[c];
        tr.appendChild(text("td", Array.isArray(cell) ? JSON.stringify(cell) : fmt(cell)));
      }
      t.appendChild(tr);
    }
    return t;
  }
  function clearPicked() {
    var marked = svg.querySelectorAll(".on-path, .picked");
    for (var i = 0; i < marked.length; i++) marked[i].classList.remove("on-path", "hot", "picked");
  }
  function markPath(edges, on, cls) {
    for (var i = 0; i < edges.length; i++) {
      var e = el(edges[i]);
      if (e) e.classList[on ? "add" : "remove"](cls);
    }
  }
  function show(id) {
    var n = data.nodes[id];
    if (!n) return;
    clearPicked();
    picked = id;
    node(id).classList.add("picked");
    var box = el("detail-text");
    clear(box);
    var head = box.parentNode.querySelector("h2");
    head.textContent = n.kind === "input" ? "Input " + n.label : "Node " + n.label;
    box.appendChild(text("div", n.title, "mono"));
    if (n.definition) box.appendChild(text("div", "formula: " + n.label + " = " + n.definition, "mono"));
    else box.appendChild(text("div", n.kind === "input" ? "an input: its value is given" : "", "mono"));
    if (n.shape) {
      box.appendChild(text("div", "value, shape (" + n.shape.join(", ") + (n.shape.length === 1 ? ",)" : ")")));
      box.appendChild(matrix(n.value));
      if (n.adjoint !== null) {
        box.appendChild(text("div", "gradient " + n.gradName));
        box.appendChild(matrix(n.adjoint, "grad"));
      }
    } else {
      box.appendChild(text("div", "value: " + n.valueText, "mono"));
      if (n.adjointText !== null) box.appendChild(text("div", "gradient: " + n.gradName + " = " + n.adjointText, "mono"));
    }
    if (n.constant) box.appendChild(text("div", "a constant: no gradient flows into it"));
    var i, e;
    if (n["in"].length) {
      box.appendChild(text("div", "local partials of its operands (" + PARTIALS + "):"));
      for (i = 0; i < n["in"].length; i++) {
        e = data.edges[n["in"][i]];
        var from = data.nodes[e.from] ? data.nodes[e.from].label : "constant";
        box.appendChild(text("div", "  " + PARTIAL + n.label + "/" + PARTIAL + from + " = " +
          (e.constant ? "(constant: none)" : (e.formula && e.formula !== e.text ? e.formula + " = " : "") + e.text), "mono"));
      }
    }
    var paths = data.paths[id];
    if (paths) showPaths(box, n, paths);
  }
  var PARTIAL = "\u2202", PARTIALS = "on the edges in blue";
  function showPaths(box, n, p) {
    box.appendChild(text("h2", "Paths from " + n.label + " to " + data.output));
    var count = p.count === "1" ? "1 path" : p.count + " paths";
    box.appendChild(text("div", count + (p.capped ? "; the " + p.listed.length + " largest listed" : "") +
      ". Each path's product multiplies the local partials along it; " + n.gradName + " is their sum."));
    var list = document.createElement("ol");
    list.className = "paths";
    for (var i = 0; i < p.listed.length; i++) {
      (function (path) {
        var li = text("li", path.nodes.join(" \u2192 ") + ":  " + path.text);
        li.setAttribute("data-product", JSON.stringify(path.product));
        li.addEventListener("mouseenter", function () { li.classList.add("hot"); markPath(path.edges, true, "hot"); });
        li.addEventListener("mouseleave", function () { li.classList.remove("hot"); markPath(path.edges, false, "hot"); });
        list.appendChild(li);
        markPath(path.edges, true, "on-path");
      })(p.listed[i]);
    }
    box.appendChild(list);
    if (p.omitted !== "0") {
      box.appendChild(text("div", "the listed paths sum to " + p.listedSumText + "; the other " + p.omitted +
        " paths sum to " + p.omittedText, "mono"));
    }
    var sum = text("div", "sum over paths = " + p.pathSumText, "mono sum");
    sum.id = "path-sum";
    box.appendChild(sum);
    box.appendChild(text("div", "the backward pass gives " + n.gradName + " = " + p.gradientText, "mono"));
  }

  // ---------------------------------------------------------------- pan and zoom
  // The view box always has the stage's shape, so what it holds is exactly what is seen.
  var view = svg.viewBox.baseVal;
  var home = { x: view.x, y: view.y, w: view.width, h: view.height };
  var READABLE = 0.6; // a large graph opens at this scale (its inputs first), not shrunk to fit
  function stage() {
    var r = svg.getBoundingClientRect();
    return { w: r.width || 800, h: r.height || 500 };
  }
  function fit() {
    var s = stage(), k = Math.max(home.w / s.w, home.h / s.h);
    view.width = s.w * k;
    view.height = s.h * k;
    view.x = home.x - (view.width - home.w) / 2;
    view.y = home.y - (view.height - home.h) / 2;
  }
  function center(id) {
    var r = rectOf(id);
    view.x = r.x + r.w / 2 - view.width / 2;
    view.y = r.y + r.h / 2 - view.height / 2;
  }
  function reveal(id) { // pan to a node that is out of sight, keeping the zoom
    var r = rectOf(id), cx = r.x + r.w / 2, cy = r.y + r.h / 2;
    if (cx < view.x || cx > view.x + view.width || cy < view.y || cy > view.y + view.height) center(id);
  }
  function opening() {
    fit();
    var s = stage();
    if (s.w / view.width >= READABLE) return;
    view.width = s.w / READABLE;
    view.height = s.h / READABLE;
    center(forward[0].node);
    view.x = home.x;
  }
  var drag = null;
  svg.addEventListener("mousedown", function (ev) {
    drag = { x: ev.clientX, y: ev.clientY, vx: view.x, vy: view.y, moved: false };
    el("stage").classList.add("dragging");
  });
  window.addEventListener("mousemove", function (ev) {
    if (!drag) return;
    var scale = view.width / svg.getBoundingClientRect().width;
    var dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
    view.x = drag.vx - dx * scale;
    view.y = drag.vy - dy * scale;
  });
  window.addEventListener("mouseup", function () {
    el("stage").classList.remove("dragging");
    setTimeout(function () { drag = null; }, 0);
  });
  svg.addEventListener("wheel", function (ev) {
    ev.preventDefault();
    var r = svg.getBoundingClientRect();
    var k = ev.deltaY < 0 ? 0.85 : 1 / 0.85;
    var px = view.x + (ev.clientX - r.left) / r.width * view.width;
    var py = view.y + (ev.clientY - r.top) / r.height * view.height;
    view.x = px - (px - view.x) * k;
    view.y = py - (py - view.y) * k;
    view.width *= k;
    view.height *= k;
  }, { passive: false });

  // ---------------------------------------------------------------- collapse long chains
  // A chain: operations with one operand that is not a constant and one use; two or more in a row
  // are hidden behind one dashed edge, labelled with how many nodes it stands for. A click opens it.
  var collapsed = [];
  function chains() {
    var inner = {}, id, n;
    for (id in data.nodes) {
      n = data.nodes[id];
      var live = n["in"].filter(function (e) { return !data.edges[e].constant; });
      if (n.kind !== "input" && !n.output && live.length === 1 && n.out.length === 1) inner[id] = live[0];
    }
    var found = [];
    for (id in inner) {
      var before = data.edges[inner[id]].from;
      if (inner[before]) continue; // not the first of its run
      var run = [id];
      var next = data.edges[data.nodes[id].out[0]].to;
      while (inner[next]) { run.push(next); next = data.edges[data.nodes[next].out[0]].to; }
      if (run.length >= 2) found.push({ from: before, to: next, run: run });
    }
    return found;
  }
  function rectOf(id) {
    var r = node(id).querySelector("rect");
    return { x: +r.getAttribute("x"), y: +r.getAttribute("y"), w: +r.getAttribute("width"), h: +r.getAttribute("height") };
  }
  function collapse() {
    if (collapsed.length) { expandAll(); return; }
    var list = chains();
    for (var i = 0; i < list.length; i++) {
      var c = list[i], hide = [];
      c.run.forEach(function (id) {
        hide.push(node(id));
        var n = data.nodes[id];
        n["in"].concat(n.out).forEach(function (e) {
          hide.push(el(e));
          var from = data.edges[e].from;
          if (from.charAt(0) === "c") hide.push(el(from));
        });
      });
      hide.forEach(function (h) { if (h) h.classList.add("hidden"); });
      var a = rectOf(c.from), b = rectOf(c.to);
      var x0 = a.x + a.w, y0 = a.y + a.h / 2, x1 = b.x, y1 = b.y + b.h / 2, mid = (x0 + x1) / 2;
      var g = document.createElementNS(SVGNS, "g");
      g.setAttribute("class", "shortcut");
      var path = document.createElementNS(SVGNS, "path");
      path.setAttribute("d", "M" + x0 + "," + y0 + " C" + mid + "," + y0 + " " + mid + "," + y1 + " " + x1 + "," + y1);
      path.setAttribute("marker-end", "url(#arrow)");
      var label = document.createElementNS(SVGNS, "text");
      label.setAttribute("x", mid);
      label.setAttribute("y", (y0 + y1) / 2 - 4);
      label.setAttribute("text-anchor", "middle");
      label.textContent = "\u2026 " + c.run.length + " nodes (click to open)";
      g.appendChild(path);
      g.appendChild(label);
      g.addEventListener("click", expandAll);
      svg.querySelector(".edges").appendChild(g);
      collapsed.push({ hide: hide, g: g });
    }
    el("collapse").classList.toggle("on", collapsed.length > 0);
    if (!list.length) el("collapse").textContent = "no long chains";
  }
  function expandAll() {
    collapsed.forEach(function (c) {
      c.hide.forEach(function (h) { if (h) h.classList.remove("hidden"); });
      c.g.parentNode.removeChild(c.g);
    });
    collapsed = [];
    el("collapse").classList.remove("on");
  }

  // ---------------------------------------------------------------- wiring
  el("reset").addEventListener("click", function () { go(0); });
  el("back").addEventListener("click", function () { go(state - 1); });
  el("step").addEventListener("click", function () { go(state + 1); });
  el("end").addEventListener("click", function () { go(total); });
  el("play").addEventListener("click", play);
  el("collapse").addEventListener("click", collapse);
  el("fit").addEventListener("click", fit);
  var boxes = svg.querySelectorAll(".node");
  for (var i = 0; i < boxes.length; i++) {
    (function (g) {
      g.addEventListener("click", function (ev) {
        if (drag && drag.moved) return;
        ev.stopPropagation();
        show(g.id);
      });
    })(boxes[i]);
  }
  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    var k = ev.key;
    if (k === "ArrowRight" || k === " ") go(state + 1);
    else if (k === "ArrowLeft") go(state - 1);
    else if (k === "Home") go(0);
    else if (k === "End") go(total);
    else if (k === "p") play();
    else if (k === "c") collapse();
    else if (k === "f") fit();
    else return;
    ev.preventDefault();
  });
  opening();
  window.gradcliPage = { go: go, show: show, state: function () { return state; }, total: total,
    forward: forward.length, backward: backward.length };
  render();
})();
