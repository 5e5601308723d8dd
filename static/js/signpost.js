// Progressive enhancement only: every journey works without this file.
import { initAll } from "../vendor/nhsuk/nhsuk-frontend.min.js";

initAll();
