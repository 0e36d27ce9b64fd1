/*
 * sfsim stand-in for Salesforce's Lightning Open CTI library (opencti_min.js).
 *
 * It runs inside the softphone frame. Every sforce.opencti method posts the call
 * to the console (window.parent) and hands the console's answer,
 * {success, returnValue, errors}, to the call's callback. The console also pushes
 * events (click-to-dial, navigation, Sales Engagement work) to the listeners
 * registered here.
 *
 * Messages (all carry sfsim: "opencti"):
 *   frame -> console   {kind: "call", id, method, args, apiVersion}
 *   console -> frame   {kind: "response", id, response: {success, returnValue, errors}}
 *   console -> frame   {kind: "event", event: "clickToDial" | "navigationChange" | "workStart", payload}
 * args is the argument object without its functions (callback, listener).
 */
(function (global) {
  'use strict';

  if (global.sforce && global.sforce.opencti && global.sforce.opencti.__sfsim) {
    return; // loaded twice: keep the first instance and its listeners
  }

  var apiVersion = typeof SFSIM_OPENCTI_API_VERSION === 'string' ? SFSIM_OPENCTI_API_VERSION : '';

  // The console's origin: the sfdcIframeOrigin parameter Salesforce adds to the
  // adapter URL, else the page that framed us, else where this script came from.
  function containerOrigin() {
    try {
      var param = new URLSearchParams(global.location.search).get('sfdcIframeOrigin');
      if (param) return new URL(param).origin;
    } catch (e) { /* fall through */ }
    try {
      if (document.referrer) return new URL(document.referrer).origin;
    } catch (e) { /* fall through */ }
    try {
      if (document.currentScript && document.currentScript.src) return new URL(document.currentScript.src).origin;
    } catch (e) { /* fall through */ }
    return null;
  }

  var targetOrigin = containerOrigin();
  var framed = global.parent && global.parent !== global;
  var nextId = 1;
  var pending = {}; // call id -> callback
  var listeners = { clickToDial: [], navigationChange: [], workStart: [] };

  // jsonSafe copies the argument object without functions, as postMessage needs.
  function jsonSafe(args) {
    var out = {};
    Object.keys(args || {}).forEach(function (k) {
      if (typeof args[k] !== 'function') out[k] = args[k];
    });
    try {
      return JSON.parse(JSON.stringify(out));
    } catch (e) {
      return {};
    }
  }

  function deliver(fn, value) {
    if (typeof fn !== 'function') return;
    try {
      fn(value);
    } catch (e) {
      setTimeout(function () { throw e; }); // report it without breaking the bridge
    }
  }

  function containerError(callback) {
    setTimeout(function () {
      deliver(callback, {
        success: false,
        returnValue: null,
        errors: [{
          code: 'SOFTPHONE_CONTAINER_ERROR',
          description: "Unable to execute sendPostMessage because the softphone container hasn't initialized yet"
        }]
      });
    }, 0);
  }

  function call(method, args) {
    args = args || {};
    var callback = args.callback;
    if (!framed || !targetOrigin) {
      containerError(callback);
      return;
    }
    var id = nextId++;
    pending[id] = callback;
    global.parent.postMessage({
      sfsim: 'opencti', kind: 'call', id: id, method: method, args: jsonSafe(args), apiVersion: apiVersion
    }, targetOrigin);
  }

  // listen registers args.listener for an event, then tells the console.
  function listen(event, method) {
    return function (args) {
      args = args || {};
      if (typeof args.listener === 'function') listeners[event].push(args.listener);
      call(method, args);
    };
  }

  global.addEventListener('message', function (event) {
    if (event.source !== global.parent) return;
    if (targetOrigin && event.origin !== targetOrigin) return;
    var data = event.data;
    if (!data || data.sfsim !== 'opencti') return;
    if (data.kind === 'response') {
      var callback = pending[data.id];
      delete pending[data.id];
      deliver(callback, data.response);
    } else if (data.kind === 'event' && listeners[data.event]) {
      listeners[data.event].slice().forEach(function (fn) { deliver(fn, data.payload); });
    }
  });

  function method(name) {
    return function (args) { call(name, args); };
  }

  var opencti = {
    __sfsim: true,
    SCREENPOP_TYPE: {
      SOBJECT: 'sobject',
      URL: 'url',
      OBJECTHOME: 'objecthome',
      LIST: 'list',
      SEARCH: 'search',
      NEW_RECORD_MODAL: 'newrecordmodal',
      FLOW: 'flow'
    },
    CALL_TYPE: {
      INBOUND: 'inbound',
      OUTBOUND: 'outbound',
      INTERNAL: 'internal'
    },
    hvs: {
      onWorkStart: listen('workStart', 'hvs.onWorkStart'),
      completeWork: method('hvs.completeWork')
    },
    onClickToDial: listen('clickToDial', 'onClickToDial'),
    onNavigationChange: listen('navigationChange', 'onNavigationChange')
  };
  [
    'screenPop', 'searchAndScreenPop', 'saveLog', 'enableClickToDial', 'disableClickToDial',
    'getAppViewInfo', 'getCallCenterSettings', 'getSoftphoneLayout',
    'setSoftphonePanelVisibility', 'isSoftphonePanelVisible',
    'setSoftphonePanelHeight', 'setSoftphonePanelWidth',
    'setSoftphoneItemLabel', 'setSoftphoneItemIcon', 'setSoftphonePanelLabel', 'setSoftphonePanelIcon',
    'refreshView', 'runApex', 'notifyInitializationComplete',
    'subscribe', 'publish', 'unsubscribe'
  ].forEach(function (name) { opencti[name] = method(name); });

  global.sforce = global.sforce || {};
  global.sforce.opencti = opencti;
})(window);
