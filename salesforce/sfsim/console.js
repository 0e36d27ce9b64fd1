/*
 * sfsim console: a Lightning-looking page that hosts the Open CTI softphone.
 *
 * Contract for browser tests:
 *   window.openctiCalls   every sforce.opencti call the softphone made, in order,
 *                         as {method, args} (args without callbacks/listeners)
 *   window.openctiEvents  every event sent to the softphone, as {event, payload}
 *   window.consoleState   {recordId, objectType, view} of what the agent sees;
 *                         view is home | record | objectHome | list | search |
 *                         flow | url | newRecord (the new-record modal is open)
 *
 * The console answers each call as Lightning would (see the methods table) and
 * renders every /lightning/... route from the org's /_sim/console/ helpers.
 */
(function () {
  'use strict';

  var config = JSON.parse(document.getElementById('sim-config').textContent);
  var frame = document.getElementById('softphone');
  var main = document.getElementById('main');
  var panel = document.getElementById('softphone-panel');

  window.openctiCalls = [];
  window.openctiEvents = [];
  window.consoleState = { recordId: null, objectType: null, view: 'home' };

  var cti = {
    clickToDial: false,
    listening: { clickToDial: false, navigationChange: false, workStart: false }
  };
  // What getAppViewInfo and onNavigationChange report.
  var appView = { url: location.href, recordId: null, recordName: null, objectType: null };
  var workspaceTabs = []; // recently opened records, like console tabs
  var renderSeq = 0;

  // ---------------------------------------------------------------- helpers

  // h builds an element: h('a', {href: '/x', class: 'y', onclick: fn}, 'text', child, [more]).
  function h(tag, attrs) {
    var el = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) return;
      if (k === 'class') el.className = v;
      else if (k.indexOf('on') === 0) el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? '' : v);
    });
    (function add(children) {
      children.forEach(function (c) {
        if (c === null || c === undefined || c === false) return;
        if (Array.isArray(c)) add(c);
        else el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
      });
    })(Array.prototype.slice.call(arguments, 2));
    return el;
  }

  function request(method, url, body) {
    var init = { method: method, headers: { Accept: 'application/json' } };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    return fetch(url, init).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (data) {
        return { ok: res.ok, status: res.status, data: data };
      });
    });
  }

  function ctiError(code, description, details) {
    var e = { code: code, description: description };
    if (details !== undefined) e.details = details;
    return e;
  }

  function isId(s) {
    return typeof s === 'string' && /^[a-zA-Z0-9]{15}([a-zA-Z0-5]{3})?$/.test(s);
  }

  function objectTypeOf(id) {
    return (isId(id) && config.keyPrefixes[id.slice(0, 3)]) || null;
  }

  function recordUrl(type, id) {
    return '/lightning/r/' + encodeURIComponent(type) + '/' + encodeURIComponent(id) + '/view';
  }

  function formatDuration(sec) {
    if (sec === null || sec === undefined || sec === '') return '';
    var s = Number(sec);
    return Math.floor(s / 60) + 'm ' + String(s % 60).padStart(2, '0') + 's';
  }

  function setState(view, recordId, objectType) {
    window.consoleState = { recordId: recordId || null, objectType: objectType || null, view: view };
  }

  // -------------------------------------------------------- events to the frame

  function sendEvent(event, payload) {
    window.openctiEvents.push({ event: event, payload: payload });
    if (!frame || !cti.listening[event] || !frame.contentWindow) return;
    frame.contentWindow.postMessage({ sfsim: 'opencti', kind: 'event', event: event, payload: payload }, config.frameOrigin || '*');
  }

  function fireNavigationChange() {
    sendEvent('navigationChange', {
      url: appView.url, recordId: appView.recordId, recordName: appView.recordName, objectType: appView.objectType
    });
  }

  // phone renders a number; when click-to-dial is on it is a link that hands
  // {number, recordId, recordName, objectType} to the softphone's listener.
  function phone(number, rec, objectType) {
    if (!number) return '';
    return h('a', {
      class: 'sim-phone', href: 'tel:' + number, 'data-number': number,
      onclick: function (ev) {
        ev.preventDefault();
        if (!cti.clickToDial) return;
        sendEvent('clickToDial', {
          number: number, recordId: rec.Id || null, recordName: rec.Name || null, objectType: objectType || null
        });
      }
    }, number);
  }

  function setClickToDial(on) {
    cti.clickToDial = on;
    document.body.classList.toggle('sim-ctd-on', on);
  }

  // --------------------------------------------------------------- routing

  function parseRoute() {
    var path = location.pathname;
    var params = new URLSearchParams(location.search);
    var m;
    if (path === '/' || path === '/lightning' || path === '/lightning/' || path === '/lightning/page/home') {
      return { view: 'home' };
    }
    if ((m = path.match(/^\/lightning\/r\/([^/]+)\/([^/]+)\/view\/?$/))) {
      return { view: 'record', objectType: decodeURIComponent(m[1]), recordId: decodeURIComponent(m[2]) };
    }
    if ((m = path.match(/^\/lightning\/o\/([^/]+)\/(home|list)\/?$/))) {
      return { view: m[2] === 'home' ? 'objectHome' : 'list', objectType: decodeURIComponent(m[1]), listViewId: params.get('filterName') };
    }
    if (path === '/lightning/search') {
      return { view: 'search', term: params.get('term') || '' };
    }
    if ((m = path.match(/^\/lightning\/flow\/([^/]+)\/?$/))) {
      return { view: 'flow', flowDevName: decodeURIComponent(m[1]), flowArgs: (history.state && history.state.flowArgs) || [] };
    }
    return { view: 'url', url: path + location.search };
  }

  function navigate(url, state) {
    history.pushState(state || null, '', url);
    return render(true);
  }

  // render draws the current route; it resolves once the view is drawn.
  function render(fireNav) {
    var seq = ++renderSeq;
    var route = parseRoute();
    closeModal(false);
    setState(route.view, route.recordId, route.objectType);
    appView = { url: location.href, recordId: route.recordId || null, recordName: null, objectType: route.objectType || null };
    markNav(route);
    main.textContent = '';
    main.appendChild(h('div', { class: 'sim-empty' }, 'Loading…'));
    var views = { home: viewHome, record: viewRecord, objectHome: viewList, list: viewList, search: viewSearch, flow: viewFlow, url: viewUrl };
    return views[route.view](route).then(function (content) {
      if (seq !== renderSeq) return; // a newer navigation won
      main.textContent = '';
      main.appendChild(content);
      if (fireNav) fireNavigationChange();
    }).catch(function (err) {
      if (seq !== renderSeq) return;
      main.textContent = '';
      main.appendChild(card('Something went wrong', h('p', null, String(err))));
    });
  }

  function markNav(route) {
    var key = route.view === 'home' ? 'home' : route.objectType;
    document.querySelectorAll('.sim-nav a[data-nav]').forEach(function (a) {
      a.classList.toggle('is-active', a.getAttribute('data-nav') === key && route.view !== 'record');
    });
  }

  function addWorkspaceTab(rec, objectType) {
    workspaceTabs = workspaceTabs.filter(function (t) { return t.id !== rec.Id; });
    workspaceTabs.unshift({ id: rec.Id, name: rec.Name || rec.Subject || rec.Id, type: objectType });
    workspaceTabs = workspaceTabs.slice(0, 5);
    var bar = document.getElementById('workspace-tabs');
    bar.textContent = '';
    workspaceTabs.forEach(function (t) {
      bar.appendChild(h('a', { href: recordUrl(t.type, t.id), class: t.id === appView.recordId ? 'is-active' : null, title: t.name }, t.name));
    });
  }

  // ----------------------------------------------------------------- views

  function card(title, body, icon, eyebrow) {
    return h('article', { class: 'sim-card' },
      h('header', null,
        icon ? h('span', { class: 'sim-record-icon', 'data-type': icon }, icon.slice(0, 1)) : null,
        h('div', null, eyebrow ? h('div', { class: 'sim-eyebrow' }, eyebrow) : null, h('h2', null, title))),
      h('div', { class: 'sim-card-body' }, body));
  }

  function recordTable(objectType, records, phoneFields) {
    if (!records.length) return h('p', { class: 'sim-empty' }, 'No items to display.');
    return h('table', { class: 'sim-table' },
      h('thead', null, h('tr', null, h('th', null, 'Name'), phoneFields.map(function (f) { return h('th', null, f); }))),
      h('tbody', null, records.map(function (r) {
        var type = r.RecordType || objectType;
        return h('tr', { 'data-record-id': r.Id },
          h('td', null, h('a', { href: recordUrl(type, r.Id) }, r.Name || r.Id), r.IsConverted ? h('span', { class: 'sim-badge' }, ' Converted') : null),
          phoneFields.map(function (f) { return h('td', null, phone(r[f], r, type)); }));
      })));
  }

  function viewHome() {
    return Promise.all(['Contact', 'Lead', 'Account'].map(function (t) {
      return request('GET', '/_sim/console/list?type=' + t);
    })).then(function (lists) {
      return h('div', null,
        card('Welcome, ' + config.user.name, h('p', null, 'Your Zoom Phone softphone is in the utility bar below. Inbound calls open the caller\'s record here.')),
        lists.map(function (res) {
          return card(res.data.label, recordTable(res.data.objectType, res.data.records || [], res.data.phoneFields || []), res.data.objectType);
        }));
    });
  }

  function viewList(route) {
    return request('GET', '/_sim/console/list?type=' + encodeURIComponent(route.objectType)).then(function (res) {
      if (!res.ok) return card('Object not found', h('p', null, route.objectType));
      var title = res.data.label + (route.listViewId ? ' (list view ' + route.listViewId + ')' : '');
      return card(title, recordTable(res.data.objectType, res.data.records, res.data.phoneFields), res.data.objectType);
    });
  }

  var hiddenFields = ['Id', 'Name', 'OwnerId', 'CreatedById', 'LastModifiedById', 'LastModifiedDate', 'CreatedDate'];

  function viewRecord(route) {
    return request('GET', '/_sim/console/record?id=' + encodeURIComponent(route.recordId)).then(function (res) {
      if (!res.ok) {
        return card('Record not found', h('p', null, 'Looks like there\'s a problem: ' + route.recordId + ' does not exist or was deleted.'));
      }
      var d = res.data, rec = d.record;
      var name = rec.Name || rec.Subject || rec.Id;
      setState('record', rec.Id, d.objectType);
      appView.recordId = rec.Id;
      appView.recordName = name;
      appView.objectType = d.objectType;
      addWorkspaceTab(rec, d.objectType);

      // Fields in schema order with their labels: phone fields always (they are
      // what the agent dials), the others when they have a value.
      var fields = d.fields.filter(function (f) {
        if (hiddenFields.indexOf(f.name) >= 0) return false;
        return d.phoneFields.indexOf(f.name) >= 0 || (rec[f.name] !== null && rec[f.name] !== undefined && rec[f.name] !== '');
      });
      var details = h('dl', { class: 'sim-fields', id: 'record-fields' }, fields.map(function (f) {
        var k = f.name, value = rec[k];
        if (d.phoneFields.indexOf(k) >= 0) value = phone(rec[k], rec, d.objectType);
        else if (d.references[k]) value = h('a', { href: recordUrl(d.references[k].type, d.references[k].Id) }, d.references[k].Name);
        else if (k === 'CallDurationInSeconds') value = formatDuration(value) + ' (' + value + ' s)';
        return h('div', { 'data-field': k }, h('dt', null, f.label), h('dd', null, value === true ? 'Yes' : value === false ? 'No' : value));
      }));
      var owner = d.references.OwnerId ? 'Owner: ' + d.references.OwnerId.Name : '';
      return h('div', null,
        card(name, h('p', { class: 'sim-eyebrow' }, owner), d.objectType, d.label),
        card('Details', details),
        d.objectType === 'Task' ? null : card('Activity', activity(d.tasks)));
    });
  }

  function activity(tasks) {
    if (!tasks.length) return h('p', { class: 'sim-empty', id: 'activity-empty' }, 'No activities to show.');
    return h('table', { class: 'sim-table', id: 'activity' },
      h('thead', null, h('tr', null, ['Subject', 'Call Type', 'Duration', 'Status', 'Due Date'].map(function (t) { return h('th', null, t); }))),
      h('tbody', null, tasks.map(function (t) {
        return h('tr', { 'data-task-id': t.Id },
          h('td', { 'data-col': 'Subject' }, h('a', { href: recordUrl('Task', t.Id) }, t.Subject || '(no subject)')),
          h('td', { 'data-col': 'CallType' }, t.CallType || ''),
          h('td', { 'data-col': 'CallDurationInSeconds', title: (t.CallDurationInSeconds === null || t.CallDurationInSeconds === undefined) ? '' : t.CallDurationInSeconds + ' s' }, formatDuration(t.CallDurationInSeconds)),
          h('td', null, t.Status || ''),
          h('td', null, t.ActivityDate || ''));
      })));
  }

  function viewSearch(route) {
    return request('GET', '/_sim/console/search?q=' + encodeURIComponent(route.term)).then(function (res) {
      var d = res.data || {};
      var matches = (d.order || []).map(function (id) { return d.matches[id]; });
      var phoneFields = ['Phone', 'MobilePhone'];
      return card('Search results for "' + route.term + '"',
        h('div', { id: 'search-results' }, recordTable(null, matches, phoneFields)), null, 'Top Results');
    });
  }

  function viewFlow(route) {
    var args = route.flowArgs || [];
    return Promise.resolve(card(route.flowDevName,
      h('div', { id: 'flow' },
        h('p', null, 'sfsim does not run flows; this is where the screen flow "' + route.flowDevName + '" would start with these inputs:'),
        args.length ? h('table', { class: 'sim-table' },
          h('thead', null, h('tr', null, h('th', null, 'Name'), h('th', null, 'Type'), h('th', null, 'Value'))),
          h('tbody', null, args.map(function (a) {
            return h('tr', { 'data-flow-arg': a.name }, h('td', null, a.name), h('td', null, a.type), h('td', null, String(a.value)));
          }))) : h('p', { class: 'sim-empty' }, 'No inputs.')),
      null, 'Flow'));
  }

  function viewUrl(route) {
    return Promise.resolve(card('Page not available in sfsim', h('p', null, 'The console would open ' + route.url + ' here.')));
  }

  // ------------------------------------------------------ new-record modal

  var modalFields = {
    Contact: ['FirstName', 'LastName', 'Phone', 'MobilePhone', 'Email', 'Title'],
    Lead: ['FirstName', 'LastName', 'Company', 'Phone', 'MobilePhone', 'Email'],
    Account: ['Name', 'Phone', 'Fax'],
    Task: ['Subject', 'Description']
  };
  var modalPrevState = null;

  function openNewRecordModal(entityName, defaults) {
    closeModal(false);
    defaults = defaults || {};
    var fields = (modalFields[entityName] || []).slice();
    Object.keys(defaults).forEach(function (k) { if (fields.indexOf(k) < 0) fields.push(k); });
    var errorBox = h('p', { class: 'sim-error', role: 'alert' });
    var form = h('form', { id: 'new-record-form' },
      fields.map(function (f) {
        var v = defaults[f];
        return h('label', null, f, h('input', { name: f, value: v === undefined || v === null ? '' : String(v) }));
      }), errorBox);
    var save = function (ev) {
      ev.preventDefault();
      var value = { entityApiName: entityName };
      fields.forEach(function (f) {
        var v = form.elements[f].value;
        if (v !== '') value[f] = v;
      });
      request('POST', '/_sim/console/save', { value: value }).then(function (res) {
        if (!res.ok) {
          errorBox.textContent = ((res.data.errors || [])[0] || {}).message || 'Could not save.';
          return;
        }
        closeModal(false);
        navigate(recordUrl(res.data.objectType, res.data.id));
      });
    };
    form.addEventListener('submit', save);
    var modal = h('div', { class: 'sim-backdrop', id: 'new-record-modal', 'data-entity': entityName },
      h('section', { class: 'sim-modal', role: 'dialog', 'aria-modal': 'true' },
        h('header', null, 'New ' + entityName),
        form,
        h('footer', null,
          h('button', { type: 'button', class: 'sim-button', id: 'new-record-cancel', onclick: function () { closeModal(true); } }, 'Cancel'),
          h('button', { type: 'button', class: 'sim-button sim-button_brand', id: 'new-record-save', onclick: save }, 'Save'))));
    document.getElementById('modal-root').appendChild(modal);
    modalPrevState = window.consoleState;
    setState('newRecord', null, entityName);
    sendEvent('navigationChange', {
      url: location.origin + '/lightning/o/' + entityName + '/new', recordId: null, recordName: null, objectType: entityName
    });
  }

  function closeModal(restore) {
    var root = document.getElementById('modal-root');
    if (!root.firstChild) return;
    root.textContent = '';
    if (restore && modalPrevState) window.consoleState = modalPrevState;
    modalPrevState = null;
  }

  // ------------------------------------------------------------ screen pops

  // screenPop performs one pop; the type is matched case-insensitively.
  function screenPop(type, params, defaultFieldValues) {
    params = params || {};
    switch (String(type || '').toLowerCase()) {
      case 'sobject':
        if (!isId(params.recordId)) throw ctiError('INVALID_PARAM', 'params.recordId must be a 15- or 18-character record Id');
        return navigate(recordUrl(objectTypeOf(params.recordId) || 'sObject', params.recordId));
      case 'url':
        if (typeof params.url !== 'string' || params.url.charAt(0) !== '/') throw ctiError('INVALID_PARAM', 'params.url must be a relative URL');
        return navigate(params.url);
      case 'objecthome':
        if (!params.scope) throw ctiError('INVALID_PARAM', 'params.scope is required');
        return navigate('/lightning/o/' + encodeURIComponent(params.scope) + '/home');
      case 'list':
        if (!params.scope) throw ctiError('INVALID_PARAM', 'params.scope is required');
        return navigate('/lightning/o/' + encodeURIComponent(params.scope) + '/list' + (params.listViewId ? '?filterName=' + encodeURIComponent(params.listViewId) : ''));
      case 'search':
        if (typeof params.searchString !== 'string' || params.searchString.length < 3) {
          throw ctiError('INVALID_PARAM', 'params.searchString must have at least 3 characters');
        }
        return navigate('/lightning/search?term=' + encodeURIComponent(params.searchString));
      case 'newrecordmodal':
      case 'newrecord':
        if (!params.entityName) throw ctiError('INVALID_PARAM', 'params.entityName is required');
        openNewRecordModal(params.entityName, Object.assign({}, defaultFieldValues || {}, params.defaultFieldValues || {}));
        return null;
      case 'flow':
        if (!params.flowDevName) throw ctiError('INVALID_PARAM', 'params.flowDevName is required');
        return navigate('/lightning/flow/' + encodeURIComponent(params.flowDevName), { flowArgs: params.flowArgs || [] });
      default:
        throw ctiError('INVALID_PARAM', 'Unknown screen pop type: ' + type);
    }
  }

  // searchAndScreenPop searches the layout's objects for the call type and pops
  // by the default layout: one match → the record, several → search results,
  // none → a new Contact when defaultFieldValues are given, else nothing.
  // deferred:true only returns the pop as SCREEN_POP_DATA.
  function searchAndScreenPop(args) {
    var callType = String(args.callType || '').toLowerCase();
    if (['inbound', 'outbound', 'internal'].indexOf(callType) < 0) {
      throw ctiError('INVALID_PARAM', 'callType must be one of sforce.opencti.CALL_TYPE');
    }
    if (typeof args.searchParams !== 'string' || !args.searchParams.trim()) {
      throw ctiError('INVALID_PARAM', 'searchParams is required');
    }
    var url = '/_sim/console/search?q=' + encodeURIComponent(args.searchParams) + '&callType=' + callType;
    return request('GET', url).then(function (res) {
      if (!res.ok) throw ctiError('SERVER_ERROR', 'search failed with HTTP ' + res.status);
      var order = res.data.order || [];
      var returnValue = {};
      order.forEach(function (id) { returnValue[id] = res.data.matches[id]; });

      var layout = config.softphoneLayout[res.data.callType] || {};
      var noMatch = (layout.screenPopSettings || {}).NoMatch || {};
      var pop = null;
      if (order.length === 1) {
        pop = { type: 'sobject', params: { recordId: order[0] } };
      } else if (order.length > 1) {
        pop = { type: 'search', params: { searchString: args.searchParams } };
      } else if (args.defaultFieldValues && noMatch.screenPopType === 'PopToEntity') {
        pop = { type: 'newrecordmodal', params: { entityName: noMatch.screenPopData, defaultFieldValues: args.defaultFieldValues } };
      }
      if (args.deferred) {
        if (pop) returnValue.SCREEN_POP_DATA = pop;
        return returnValue;
      }
      return Promise.resolve(pop && screenPop(pop.type, pop.params)).then(function () { return returnValue; });
    });
  }

  function saveLog(args) {
    var value = args.value;
    if (!value || typeof value !== 'object') throw ctiError('INVALID_PARAM', 'value is required');
    if (!value.Id && !value.entityApiName) throw ctiError('INVALID_PARAM', 'value needs entityApiName to create or Id to update');
    return request('POST', '/_sim/console/save', { value: value }).then(function (res) {
      if (!res.ok) {
        var errors = res.data.errors || [];
        throw ctiError('GENERIC_ERROR', (errors[0] || {}).message || 'saveLog failed', errors);
      }
      return { recordId: res.data.id };
    });
  }

  // -------------------------------------------------- utility bar and panel

  function setPanelVisible(visible) {
    panel.hidden = !visible;
    document.body.classList.toggle('sim-panel-open', visible);
    var item = document.getElementById('utility-phone');
    item.classList.toggle('is-open', visible);
    item.setAttribute('aria-expanded', String(visible));
  }

  function numberIn(args, key, lo, hi) {
    var n = args[key];
    if (typeof n !== 'number' || !isFinite(n)) {
      throw ctiError('INVALID_PARAM', 'A numeric value was expected, but ' + (n === undefined ? 'undefined' : typeof n) + ' was found');
    }
    if (n < lo || n > hi) throw ctiError('INVALID_PARAM', key + ' must be between ' + lo + ' and ' + hi);
    return n;
  }

  function stringArg(args, key) {
    if (typeof args[key] !== 'string') throw ctiError('INVALID_PARAM', key + ' must be a string');
    return args[key];
  }

  // ------------------------------------------------------- Open CTI methods

  var methods = {
    screenPop: function (a) { return Promise.resolve(screenPop(a.type, a.params, a.defaultFieldValues)).then(function () { return null; }); },
    searchAndScreenPop: searchAndScreenPop,
    saveLog: saveLog,
    enableClickToDial: function () { setClickToDial(true); return null; },
    disableClickToDial: function () { setClickToDial(false); return null; },
    onClickToDial: function () { cti.listening.clickToDial = true; return null; },
    onNavigationChange: function () { cti.listening.navigationChange = true; return null; },
    getAppViewInfo: function () { return Object.assign({}, appView); },
    getCallCenterSettings: function () { return Object.assign({}, config.callCenterSettings); },
    getSoftphoneLayout: function () { return JSON.parse(JSON.stringify(config.softphoneLayout)); },
    setSoftphonePanelVisibility: function (a) {
      if (typeof a.visible !== 'boolean') throw ctiError('INVALID_PARAM', 'visible must be a boolean');
      setPanelVisible(a.visible);
      return null;
    },
    isSoftphonePanelVisible: function () { return { visible: !panel.hidden }; },
    setSoftphonePanelHeight: function (a) { panel.style.height = numberIn(a, 'heightPX', 240, 2560) + 'px'; return null; },
    setSoftphonePanelWidth: function (a) {
      var w = numberIn(a, 'widthPX', 200, 1920);
      panel.style.width = w + 'px';
      document.body.style.setProperty('--panel-w', w + 'px');
      return null;
    },
    setSoftphoneItemLabel: function (a) { document.getElementById('utility-phone-label').textContent = stringArg(a, 'label'); return null; },
    setSoftphoneItemIcon: function (a) { document.getElementById('utility-phone-icon').setAttribute('data-key', stringArg(a, 'key')); return null; },
    setSoftphonePanelLabel: function (a) { document.getElementById('softphone-panel-label').textContent = stringArg(a, 'label'); return null; },
    setSoftphonePanelIcon: function (a) { document.getElementById('softphone-panel-icon').setAttribute('data-key', stringArg(a, 'key')); return null; },
    refreshView: function () { return render(false).then(function () { return null; }); },
    runApex: function (a) { throw ctiError('SERVER_ERROR', 'Could not load Apex class: ' + a.apexClass + ' (sfsim runs no Apex)'); },
    notifyInitializationComplete: function () {
      var loading = document.getElementById('softphone-loading');
      if (loading) loading.hidden = true;
      return null;
    },
    subscribe: function (a) { return { subscription: { channelName: a.channelName } }; },
    publish: function () { return null; },
    unsubscribe: function () { return null; },
    'hvs.onWorkStart': function () { cti.listening.workStart = true; return null; },
    'hvs.completeWork': function (a) {
      if (!a.workId) throw ctiError('INVALID_PARAM', 'workId is required');
      return null;
    }
  };

  window.addEventListener('message', function (event) {
    if (!frame || event.source !== frame.contentWindow || event.origin !== config.frameOrigin) return;
    var data = event.data;
    if (!data || data.sfsim !== 'opencti' || data.kind !== 'call') return;
    var args = data.args && typeof data.args === 'object' ? data.args : {};
    window.openctiCalls.push({ method: data.method, args: JSON.parse(JSON.stringify(args)) });
    var reply = function (response) {
      event.source.postMessage({ sfsim: 'opencti', kind: 'response', id: data.id, response: response }, event.origin);
    };
    new Promise(function (resolve) {
      var fn = methods[data.method];
      if (!fn) throw ctiError('GENERIC_ERROR', 'Unknown method: ' + data.method);
      resolve(fn(args));
    }).then(function (value) {
      reply({ success: true, returnValue: value === undefined ? null : value, errors: null });
    }, function (err) {
      var e = err && err.code ? err : ctiError('GENERIC_ERROR', String(err));
      reply({ success: false, returnValue: null, errors: [e] });
    });
  });

  // ------------------------------------------------------------ page wiring

  document.addEventListener('click', function (ev) {
    var a = ev.target.closest && ev.target.closest('a[href^="/lightning"]');
    if (!a || ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.button !== 0) return;
    ev.preventDefault();
    navigate(a.getAttribute('href'));
  });
  window.addEventListener('popstate', function () { render(true); });

  document.getElementById('utility-phone').addEventListener('click', function () { setPanelVisible(panel.hidden); });
  document.getElementById('softphone-minimize').addEventListener('click', function () { setPanelVisible(false); });

  document.getElementById('global-search').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var term = document.getElementById('global-search-input').value.trim();
    if (term) navigate('/lightning/search?term=' + encodeURIComponent(term));
  });

  var demo = document.getElementById('demo-call');
  if (demo) {
    demo.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var from = document.getElementById('demo-from').value || document.getElementById('demo-from-text').value.trim();
      var status = document.getElementById('demo-status');
      status.classList.remove('is-error');
      if (!from) {
        status.textContent = 'Choose or type a number.';
        status.classList.add('is-error');
        return;
      }
      status.textContent = 'Calling from ' + from + '…';
      request('POST', '/_sim/demo/call', { from: from }).then(function (res) {
        status.textContent = res.ok ? 'Incoming call from ' + from : 'Call failed: ' + (res.data.error || 'HTTP ' + res.status);
        status.classList.toggle('is-error', !res.ok);
      }, function (err) {
        status.textContent = 'Call failed: ' + err;
        status.classList.add('is-error');
      });
    });
  }

  window.sfsimConsole = { navigate: navigate, render: render };
  setPanelVisible(true);
  render(false);
})();
