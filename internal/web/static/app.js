/*
 * plandash browser script. Loaded as a static file (CSP: script-src 'self'),
 * after /static/vendor/echarts.min.js, e.g.
 *
 *   <script src="/static/vendor/echarts.min.js" defer></script>
 *   <script src="/static/app.js" defer></script>
 *
 * Chart contract
 * --------------
 * Container (any element carrying data-options; the class only sets the size):
 *
 *   <div class="chart" id="chart-XYZ" data-options="chart-XYZ-options"
 *        role="img" aria-label="..."></div>
 *
 * Options data island (ECharts option object as JSON; never executed):
 *
 *   <script type="application/json" id="chart-XYZ-options">{...}</script>
 *
 * (A JSON string holding that JSON, as html/template writes a Go string there,
 * is accepted too. Escape "<" as \u003c, which encoding/json does by default.)
 *
 * Optional container attributes: data-renderer="svg" forces the SVG renderer.
 * <html data-print="1"> (print/PDF mode) forces SVG and disables animation.
 * prefers-reduced-motion: reduce also disables animation.
 *
 * Named formatters: a string "fmt:NAME" as the value of a `formatter` or
 * `valueFormatter` property anywhere in the option tree is replaced with a
 * function. NAME is one of: number, money, percent, compact.
 *   - tooltip.formatter        params (item) or params[] (trigger 'axis') ->
 *                              HTML-escaped "seriesName: value" lines
 *   - *.valueFormatter         value -> formatted value
 *   - axisLabel.formatter      value -> formatted value
 *   - label.formatter (also endLabel, axisPointer.label, ...)
 *                              params -> formatted params.value
 * null / undefined / '' / '-' / NaN values are shown as "no data".
 *
 * Readiness (for tests / PDF rendering):
 *   container  data-chart-ready="1"     its chart fired 'finished'
 *   container  data-chart-error="1"     options missing/invalid or init failed
 *   <html>     data-charts-ready="1"    every chart finished or failed
 *                                       (immediately when there are no charts)
 *   <html>     data-charts-timeout="1"  set together with charts-ready if some
 *                                       chart never finished within 15 s
 *   window.plandashCharts               [{id, instance}] (the only global)
 *
 * Other behaviour:
 *   <form data-confirm="Message">   submit asks confirm(Message); cancel stops it
 *                                   (a submit button's own data-confirm wins)
 *   <button type="button" data-print>  calls window.print()
 */
(function () {
  'use strict';

  var root = document.documentElement;
  var charts = [];
  window.plandashCharts = charts;

  var NO_DATA = 'no data';
  var READY_TIMEOUT_MS = 15000;
  var RESIZE_DEBOUNCE_MS = 150;
  // Printable width of Letter/A4 with ~0.6in margins, in CSS px (96/in).
  var PRINT_MAX_WIDTH = 680;

  function isPrintMode() {
    return root.dataset.print === '1';
  }

  function prefersReducedMotion() {
    return !!(window.matchMedia && window.matchMedia('(prefers-reduced-motion: reduce)').matches);
  }

  // ---------------------------------------------------------------------
  // Number formatting
  // ---------------------------------------------------------------------

  var locale = (function () {
    var lang = root.lang || 'en-US';
    try {
      return Intl.NumberFormat.supportedLocalesOf([lang]).length ? lang : 'en-US';
    } catch (e) {
      return 'en-US'; // malformed language tag
    }
  })();

  var nfCache = {};
  function nf(key, opts) {
    if (!nfCache[key]) {
      nfCache[key] = new Intl.NumberFormat(locale, opts);
    }
    return nfCache[key];
  }

  var compactSupported = (function () {
    try {
      var f = new Intl.NumberFormat('en-US', { notation: 'compact' });
      return f.resolvedOptions().notation === 'compact';
    } catch (e) {
      return false;
    }
  })();

  function compactFallback(n) {
    var abs = Math.abs(n);
    var units = [[1e12, 'T'], [1e9, 'B'], [1e6, 'M'], [1e3, 'K']];
    for (var i = 0; i < units.length; i++) {
      if (abs >= units[i][0]) {
        return nf('number1', { maximumFractionDigits: 1 }).format(n / units[i][0]) + units[i][1];
      }
    }
    return nf('number1', { maximumFractionDigits: 1 }).format(n);
  }

  var FORMATS = {
    number: function (n) {
      return nf('number', { maximumFractionDigits: 2, useGrouping: true }).format(n);
    },
    money: function (n) {
      if (Math.abs(n) >= 1000) {
        return nf('money0', {
          style: 'currency', currency: 'USD',
          minimumFractionDigits: 0, maximumFractionDigits: 0
        }).format(n);
      }
      return nf('money2', {
        style: 'currency', currency: 'USD',
        minimumFractionDigits: 2, maximumFractionDigits: 2
      }).format(n);
    },
    percent: function (n) {
      // n is a fraction: 0.953 -> "95.3%"
      return nf('percent', {
        style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1
      }).format(n);
    },
    compact: function (n) {
      if (!compactSupported) {
        return compactFallback(n);
      }
      return nf('compact', {
        notation: 'compact', compactDisplay: 'short', maximumFractionDigits: 1
      }).format(n);
    }
  };

  // formatValue returns plain text (not HTML-escaped).
  function formatValue(name, v) {
    if (Array.isArray(v)) {
      v = v[v.length - 1];
    }
    if (v === null || v === undefined || v === '' || v === '-') {
      return NO_DATA;
    }
    var n = typeof v === 'number' ? v : Number(v);
    if (typeof v !== 'number' && (typeof v !== 'string' || !isFinite(n))) {
      // A category label or other non-numeric value: show as is.
      return String(v);
    }
    if (!isFinite(n)) {
      return NO_DATA;
    }
    if (n === 0) {
      n = 0; // no "-0"
    }
    return FORMATS[name](n);
  }

  // The value of one ECharts callback param ({value, encode, axisDim, ...}).
  function paramValue(p) {
    if (p === null || typeof p !== 'object') {
      return p;
    }
    var v = p.value;
    if (Array.isArray(v)) {
      var enc = p.encode || {};
      // The value dimension is the one that is not on the category axis.
      var dims = p.axisDim === 'y' ? enc.x : p.axisDim === 'x' ? enc.y : (enc.value || enc.y || enc.x);
      if (dims && dims.length && dims[0] < v.length) {
        return v[dims[0]];
      }
      return v[v.length - 1];
    }
    return v;
  }

  var ESC = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
  function escapeHTML(s) {
    return String(s === null || s === undefined ? '' : s).replace(/[&<>"']/g, function (c) {
      return ESC[c];
    });
  }

  // Only plain colour strings are put into the marker's style attribute.
  var SAFE_COLOR = /^(#[0-9a-fA-F]{3,8}|rgba?\([0-9.,\s%]+\)|hsla?\([0-9.,\s%deg]+\)|[a-zA-Z]{3,20})$/;
  function marker(color) {
    if (typeof color !== 'string' || !SAFE_COLOR.test(color)) {
      return '';
    }
    return '<span aria-hidden="true" style="display:inline-block;margin-right:4px;' +
      'border-radius:50%;width:10px;height:10px;background-color:' + color + ';"></span>';
  }

  function tooltipLine(name, p, label) {
    return marker(p.color) + escapeHTML(label) + ': ' +
      escapeHTML(formatValue(name, paramValue(p)));
  }

  function tooltipFormatter(name) {
    return function (params) {
      if (Array.isArray(params)) { // trigger: 'axis'
        var lines = [];
        if (params.length) {
          var head = params[0].axisValueLabel !== undefined ? params[0].axisValueLabel : params[0].name;
          if (head !== undefined && head !== '') {
            lines.push('<strong>' + escapeHTML(head) + '</strong>');
          }
        }
        params.forEach(function (p) {
          lines.push(tooltipLine(name, p, p.seriesName));
        });
        return lines.join('<br>');
      }
      if (params && typeof params === 'object') { // trigger: 'item'
        var out = [];
        if (params.seriesName && params.name && params.seriesName !== params.name) {
          out.push('<strong>' + escapeHTML(params.seriesName) + '</strong>');
          out.push(tooltipLine(name, params, params.name));
        } else {
          out.push(tooltipLine(name, params, params.seriesName || params.name || ''));
        }
        return out.join('<br>');
      }
      return escapeHTML(formatValue(name, params));
    };
  }

  function valueFormatter(name) {
    return function (v) {
      return formatValue(name, v);
    };
  }

  function paramsFormatter(name) {
    return function (p) {
      return formatValue(name, paramValue(p));
    };
  }

  function makeFormatter(prop, parentKey, spec) {
    var name = spec.slice(4);
    if (!Object.prototype.hasOwnProperty.call(FORMATS, name)) {
      console.warn('plandash: unknown formatter "' + spec + '", using fmt:number');
      name = 'number';
    }
    if (prop === 'valueFormatter') {
      return valueFormatter(name);
    }
    if (parentKey === 'tooltip') {
      return tooltipFormatter(name);
    }
    if (parentKey === 'axisLabel') {
      return valueFormatter(name);
    }
    // label, endLabel, upperLabel, axisPointer.label, legend, visualMap, ...
    return paramsFormatter(name);
  }

  // Replace "fmt:NAME" formatter markers in place.
  function resolveFormatters(node, parentKey, depth) {
    if (depth > 64 || node === null || typeof node !== 'object') {
      return;
    }
    if (Array.isArray(node)) {
      for (var i = 0; i < node.length; i++) {
        // An array element inherits its container's key (series: [...], xAxis: [...]).
        resolveFormatters(node[i], parentKey, depth + 1);
      }
      return;
    }
    Object.keys(node).forEach(function (key) {
      var v = node[key];
      if ((key === 'formatter' || key === 'valueFormatter') &&
          typeof v === 'string' && v.lastIndexOf('fmt:', 0) === 0) {
        node[key] = makeFormatter(key, parentKey, v);
      } else if (v !== null && typeof v === 'object') {
        resolveFormatters(v, key, depth + 1);
      }
    });
  }

  // ---------------------------------------------------------------------
  // Charts
  // ---------------------------------------------------------------------

  var pending = 0;
  var readyTimer = null;

  function allSettled() {
    if (readyTimer !== null) {
      clearTimeout(readyTimer);
      readyTimer = null;
    }
    root.dataset.chartsReady = '1';
  }

  function settleOne() {
    pending--;
    if (pending === 0) {
      allSettled();
    }
  }

  function failChart(el, msg, err) {
    console.error('plandash: chart ' + (el.id || '(no id)') + ': ' + msg, err || '');
    el.dataset.chartError = '1';
    settleOne();
  }

  function readOptions(el) {
    var islandId = el.getAttribute('data-options') || (el.id ? el.id + '-options' : '');
    var island = islandId ? document.getElementById(islandId) : null;
    if (!island) {
      throw new Error('options data island #' + islandId + ' not found');
    }
    var parsed = JSON.parse(island.textContent);
    if (typeof parsed === 'string') {
      // html/template emits a Go string in a JSON <script> as a quoted JSON
      // string; accept that (double-encoded) form too.
      parsed = JSON.parse(parsed);
    }
    return parsed;
  }

  function initChart(el) {
    var option;
    try {
      option = readOptions(el);
    } catch (e) {
      failChart(el, 'cannot read options', e);
      return;
    }
    if (option === null || typeof option !== 'object' || Array.isArray(option)) {
      failChart(el, 'options must be a JSON object');
      return;
    }
    resolveFormatters(option, '', 0);

    var printMode = isPrintMode();
    if (printMode || prefersReducedMotion()) {
      option.animation = false;
    }
    var renderer = printMode || el.getAttribute('data-renderer') === 'svg' ? 'svg' : 'canvas';

    var instance;
    try {
      instance = window.echarts.init(el, null, { renderer: renderer });
    } catch (e) {
      failChart(el, 'echarts.init failed', e);
      return;
    }

    var done = false;
    var onFinished = function () {
      if (done) {
        return;
      }
      done = true;
      instance.off('finished', onFinished);
      el.dataset.chartReady = '1';
      settleOne();
    };
    instance.on('finished', onFinished);
    charts.push({ id: el.id, instance: instance });

    try {
      instance.setOption(option);
    } catch (e) {
      done = true;
      instance.off('finished', onFinished);
      failChart(el, 'setOption failed', e);
    }
  }

  function initCharts() {
    var els = Array.prototype.slice.call(document.querySelectorAll('[data-options]'));
    if (!els.length) {
      allSettled();
      return;
    }
    pending = els.length;
    if (!window.echarts || typeof window.echarts.init !== 'function') {
      console.error('plandash: ECharts is not loaded');
      els.forEach(function (el) {
        el.dataset.chartError = '1';
      });
      pending = 0;
      allSettled();
      return;
    }
    readyTimer = setTimeout(function () {
      readyTimer = null;
      if (pending > 0) {
        console.warn('plandash: ' + pending + ' chart(s) did not finish rendering');
        root.dataset.chartsTimeout = '1';
        root.dataset.chartsReady = '1';
      }
    }, READY_TIMEOUT_MS);
    els.forEach(initChart);
  }

  function resizeAll(size) {
    charts.forEach(function (c) {
      if (c.instance.isDisposed && c.instance.isDisposed()) {
        return;
      }
      try {
        c.instance.resize(size ? size(c) : undefined);
      } catch (e) {
        console.error('plandash: resize failed for ' + c.id, e);
      }
    });
  }

  var resizeTimer = null;
  function onWindowResize() {
    if (resizeTimer !== null) {
      clearTimeout(resizeTimer);
    }
    resizeTimer = setTimeout(function () {
      resizeTimer = null;
      resizeAll();
    }, RESIZE_DEBOUNCE_MS);
  }

  // Before printing, lay charts out for the narrower printed page (the screen
  // layout is still active when beforeprint fires); restore afterwards.
  var printing = false;
  function onBeforePrint() {
    if (printing) {
      return;
    }
    printing = true;
    resizeAll(function (c) {
      var el = c.instance.getDom();
      var w = el.clientWidth || PRINT_MAX_WIDTH;
      return {
        width: Math.min(w, PRINT_MAX_WIDTH),
        height: el.clientHeight || undefined,
        animation: { duration: 0 }
      };
    });
  }
  function onAfterPrint() {
    if (!printing) {
      return;
    }
    printing = false;
    resizeAll(function () {
      return { width: 'auto', height: 'auto', animation: { duration: 0 } };
    });
  }

  // ---------------------------------------------------------------------
  // Forms and buttons
  // ---------------------------------------------------------------------

  function onSubmit(ev) {
    var form = ev.target;
    if (!form || form.nodeName !== 'FORM') {
      return;
    }
    var submitter = ev.submitter;
    var msg = submitter && submitter.hasAttribute && submitter.hasAttribute('data-confirm')
      ? submitter.getAttribute('data-confirm')
      : form.getAttribute('data-confirm');
    if (msg === null) {
      return;
    }
    if (!window.confirm(msg)) {
      ev.preventDefault();
      ev.stopImmediatePropagation();
    }
  }

  function onClick(ev) {
    var t = ev.target;
    var btn = t && t.closest ? t.closest('button[data-print]') : null;
    if (btn) {
      ev.preventDefault();
      window.print();
    }
  }

  // ---------------------------------------------------------------------
  // Start
  // ---------------------------------------------------------------------

  function start() {
    initCharts();
    window.addEventListener('resize', onWindowResize);
    window.addEventListener('beforeprint', onBeforePrint);
    window.addEventListener('afterprint', onAfterPrint);
    if (window.matchMedia) {
      var mql = window.matchMedia('print');
      var onChange = function (e) {
        if (e.matches) {
          onBeforePrint();
        } else {
          onAfterPrint();
        }
      };
      if (mql.addEventListener) {
        mql.addEventListener('change', onChange);
      } else if (mql.addListener) {
        mql.addListener(onChange);
      }
    }
  }

  document.addEventListener('submit', onSubmit, true);
  document.addEventListener('click', onClick);

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
