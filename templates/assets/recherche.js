// Client-side search (Pagefind, served from this site): a progressive enhancement.
window.addEventListener("DOMContentLoaded", function () {
  if (window.PagefindUI) {
    new PagefindUI({ element: "#recherche", showSubResults: true, showImages: false });
  }
});
