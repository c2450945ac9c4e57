// ReDoc's set-up, as a file: the docs page runs no inline script (CSP).
(function () {
  var root = document.getElementById("redoc");
  Redoc.init(root.getAttribute("data-openapi"), {}, root);
})();
