/* plandash staff pages: upload with progress and drag and drop, and the
 * preview that waits for its check. A static script: the pages' policy
 * forbids inline scripts. */
(function () {
  'use strict';

  function setupUpload(form) {
    var input = form.querySelector('input[type=file]');
    var zone = form.querySelector('[data-dropzone]');
    var bar = form.querySelector('.upload-progress');
    var status = form.querySelector('.upload-status');
    var limit = parseInt(form.getAttribute('data-limit') || '0', 10) * 1024 * 1024;

    if (zone && input) {
      ['dragenter', 'dragover'].forEach(function (ev) {
        zone.addEventListener(ev, function (e) { e.preventDefault(); zone.classList.add('dragging'); });
      });
      ['dragleave', 'drop'].forEach(function (ev) {
        zone.addEventListener(ev, function (e) { e.preventDefault(); zone.classList.remove('dragging'); });
      });
      zone.addEventListener('drop', function (e) {
        if (e.dataTransfer && e.dataTransfer.files.length) {
          input.files = e.dataTransfer.files;
        }
      });
    }

    form.addEventListener('submit', function (e) {
      if (!window.XMLHttpRequest || !window.FormData || !input || !input.files.length) {
        return;
      }
      var file = input.files[0];
      if (limit && file.size > limit) {
        e.preventDefault();
        status.textContent = 'The file is larger than the upload limit of ' + (limit / 1048576) + ' MB.';
        return;
      }
      e.preventDefault();
      var xhr = new XMLHttpRequest();
      xhr.open('POST', form.action);
      bar.hidden = false;
      xhr.upload.addEventListener('progress', function (ev) {
        if (ev.lengthComputable) {
          bar.value = Math.round(ev.loaded / ev.total * 100);
          status.textContent = 'Uploading: ' + bar.value + '%';
        }
      });
      xhr.addEventListener('load', function () {
        if (xhr.status >= 200 && xhr.status < 400 && xhr.responseURL) {
          window.location.assign(xhr.responseURL);
          return;
        }
        status.textContent = 'The upload was refused (' + xhr.status + '). ' + (xhr.status === 413 ? 'The file is too large.' : 'Reload the page and try again.');
      });
      xhr.addEventListener('error', function () {
        status.textContent = 'The upload failed; check the connection and try again.';
      });
      xhr.send(new FormData(form));
    });
  }

  function poll(el) {
    var url = el.getAttribute('data-poll');
    var started = Date.now();
    function tick() {
      var xhr = new XMLHttpRequest();
      xhr.open('GET', url);
      xhr.addEventListener('load', function () {
        var done = false;
        try { done = JSON.parse(xhr.responseText).done; } catch (err) { done = false; }
        if (done) {
          window.location.reload();
          return;
        }
        el.setAttribute('data-elapsed', String(Math.round((Date.now() - started) / 1000)));
        setTimeout(tick, 700);
      });
      xhr.addEventListener('error', function () { setTimeout(tick, 2000); });
      xhr.send();
    }
    tick();
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll('form[data-upload]'), setupUpload);
    Array.prototype.forEach.call(document.querySelectorAll('[data-poll]'), poll);
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
