// Online application forms: show and hide conditional fields and update computed
// values (a fee) while the citizen types. The server decides in the end: every
// step works without this script (hidden answers are dropped on the server, and
// computed values are computed there again). Needs json-logic-js (window.jsonLogic).
(function () {
  "use strict";
  if (window.yorisouEforms || !window.jsonLogic) return;
  window.yorisouEforms = true;
  var jsonLogic = window.jsonLogic;

  // --- the two operators the server adds (formschema/logic.py) ---------------
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function todayIso() {
    // Japan time, as on the server
    var now = new Date(Date.now() + 9 * 3600 * 1000);
    return now.getUTCFullYear() + "-" + pad(now.getUTCMonth() + 1) + "-" + pad(now.getUTCDate());
  }
  function isoParts(value) {
    var m = /^(\d{4})-(\d{2})-(\d{2})/.exec(String(value || ""));
    return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : null;
  }
  jsonLogic.add_operation("today", todayIso);
  jsonLogic.add_operation("years_between", function (start, end) {
    var a = isoParts(start), b = isoParts(end == null ? todayIso() : end);
    if (!a || !b) return null;
    var years = b[0] - a[0];
    if (b[1] < a[1] || (b[1] === a[1] && b[2] < a[2])) years -= 1;
    return years;
  });

  // --- reading what the citizen typed ---------------------------------------
  function halfWidth(text) {
    return String(text)
      .replace(/[\uff01-\uff5e]/g, function (c) { return String.fromCharCode(c.charCodeAt(0) - 0xfee0); })
      .replace(/[\u3000]/g, " ")
      .replace(/[ー－−‐―–—]/g, "-");
  }
  var ERAS = { "令和": 2018, R: 2018, "平成": 1988, H: 1988, "昭和": 1925, S: 1925, "大正": 1911, T: 1911, "明治": 1867, M: 1867 };
  function parseDate(text) {
    var t = halfWidth(text).replace(/\s+/g, "");
    var m = /^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$/.exec(t);
    if (m) return m[1] + "-" + pad(Number(m[2])) + "-" + pad(Number(m[3]));
    m = /^(令和|平成|昭和|大正|明治|[RHSTMrhstm])(元|\d{1,2})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$/.exec(t);
    if (m) {
      var base = ERAS[m[1].toUpperCase()] || ERAS[m[1]];
      var year = base + (m[2] === "元" ? 1 : Number(m[2]));
      return year + "-" + pad(Number(m[3])) + "-" + pad(Number(m[4]));
    }
    return t;
  }
  function parseNumber(text) {
    var t = halfWidth(text).replace(/[,、\s]/g, "").replace(/[^\d.+-]+$/, "");
    if (t === "") return null;
    var n = Number(t);
    return isNaN(n) ? t : n;
  }

  function setPath(target, path, value) {
    var keys = path.split(".");
    var node = target;
    for (var i = 0; i < keys.length - 1; i++) {
      var key = keys[i];
      var nextIsIndex = /^\d+$/.test(keys[i + 1]);
      if (node[key] == null) node[key] = nextIsIndex ? [] : {};
      node = node[key];
    }
    node[keys[keys.length - 1]] = value;
  }
  function getPath(source, path) {
    return path.split(".").reduce(function (node, key) {
      return node == null ? null : node[key];
    }, source);
  }

  function fieldValue(form, wrapper) {
    var path = wrapper.dataset.field;
    var type = wrapper.dataset.type;
    var inputs = Array.prototype.filter.call(form.elements, function (el) {
      return el.name === path;
    });
    switch (type) {
      case "checkbox":
        return inputs.length ? inputs[0].checked : false;
      case "choice":
        if (inputs.length && inputs[0].tagName === "SELECT") return inputs[0].value;
        if (inputs.length && inputs[0].type === "checkbox") {
          return inputs.filter(function (el) { return el.checked; }).map(function (el) { return el.value; });
        }
        var chosen = inputs.filter(function (el) { return el.checked; })[0];
        return chosen ? chosen.value : "";
      case "number":
        return inputs.length ? parseNumber(inputs[0].value) : null;
      case "date":
        return inputs.length && inputs[0].value ? parseDate(inputs[0].value) : null;
      case "address":
        var address = {};
        ["postal_code", "prefecture", "city", "line1", "line2"].forEach(function (part) {
          var el = form.elements.namedItem(path + "." + part);
          address[part] = el && el.value ? el.value : "";
        });
        return address;
      case "mynumber":
      case "file":
      case "group":
      case "static":
      case "computed":
        return undefined;
      default:
        return inputs.length ? inputs[0].value : "";
    }
  }

  function formData(form, base) {
    var data = JSON.parse(JSON.stringify(base || {}));
    form.querySelectorAll("[data-field]").forEach(function (wrapper) {
      var value = fieldValue(form, wrapper);
      if (value !== undefined) setPath(data, wrapper.dataset.field, value);
    });
    return data;
  }

  // What a condition sees: the whole form and, inside a group entry, the entry's
  // own fields by their keys (as on the server).
  function contextFor(element, data) {
    var entry = element.parentElement && element.parentElement.closest("[data-entry-prefix]");
    if (!entry) return data;
    var values = getPath(data, entry.dataset.entryPrefix.replace(/\.$/, ""));
    return Object.assign({}, data, values || {});
  }

  function truthy(value) {
    return Array.isArray(value) ? value.length > 0 : Boolean(value);
  }

  function format(value, unit) {
    if (value === null || value === undefined || value === "" || (typeof value === "number" && isNaN(value))) return "—";
    var lang = document.documentElement.lang || "ja";
    var text = typeof value === "number" ? value.toLocaleString(lang === "en" ? "en" : "ja-JP") : String(value);
    if (!unit) return text;
    return lang === "en" ? text + " " + unit : text + unit;
  }

  function update(form, base) {
    var data = formData(form, base);
    form.querySelectorAll("[data-visible-if]").forEach(function (element) {
      var visible = true;
      try {
        visible = truthy(jsonLogic.apply(JSON.parse(element.dataset.visibleIf), contextFor(element, data)));
      } catch (error) {
        visible = true;
      }
      element.hidden = !visible;
    });
    form.querySelectorAll("output[data-expression]").forEach(function (output) {
      var value = null;
      try {
        value = jsonLogic.apply(JSON.parse(output.dataset.expression), contextFor(output, data));
      } catch (error) {
        value = null;
      }
      output.textContent = format(value, output.dataset.unit);
    });
  }

  function start() {
    document.querySelectorAll("form").forEach(function (form) {
      if (!form.querySelector("[data-visible-if], output[data-expression]")) return;
      // answers of earlier steps, for conditions that refer to them
      var baseElement = form.querySelector("script[type='application/json'][data-eforms-data]");
      var base = baseElement ? JSON.parse(baseElement.textContent) : {};
      var run = function () { update(form, base); };
      form.addEventListener("input", run);
      form.addEventListener("change", run);
      run();
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
