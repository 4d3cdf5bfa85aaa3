import { defineConfig } from "vite"
import { VitePWA } from "vite-plugin-pwa"

// The app is served by `campo` (server/src/web.rs) from `dist/`. During `npm run dev`, the API,
// the sync WebSocket and the sticker addresses are proxied to a `campo serve` on port 8080.
const backend = process.env.CAMPO_DEV_BACKEND ?? "http://127.0.0.1:8080"

export default defineConfig({
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  resolve: {
    alias: {
      react: "preact/compat",
      "react-dom": "preact/compat",
    },
  },
  build: {
    target: "es2022",
    // Hashed file names under assets/ are cached for a year by the server.
    assetsDir: "assets",
    sourcemap: false,
  },
  server: {
    proxy: {
      "/api": backend,
      "/e/": backend,
      "/healthz": backend,
      "/sync": { target: backend.replace(/^http/, "ws"), ws: true },
    },
  },
  plugins: [
    VitePWA({
      // An update waits for the user: reloading could wipe a half-filled visit form.
      registerType: "prompt",
      injectRegister: false,
      includeAssets: ["icon.svg"],
      manifest: {
        name: "Campo — Asistencia técnica",
        short_name: "Campo",
        description: "Visitas de soporte técnico, con o sin señal.",
        lang: "es-CO",
        start_url: "/",
        scope: "/",
        display: "standalone",
        orientation: "portrait",
        background_color: "#ffffff",
        theme_color: "#0b5394",
        icons: [
          { src: "/icon.svg", sizes: "any", type: "image/svg+xml", purpose: "any" },
          { src: "/icon-192.png", sizes: "192x192", type: "image/png" },
          { src: "/icon-512.png", sizes: "512x512", type: "image/png" },
        ],
      },
      workbox: {
        globPatterns: ["**/*.{js,css,html,svg,png,wasm,webmanifest}"],
        // The Automerge WASM is about 3.6 MB and must be precached for offline use.
        maximumFileSizeToCacheInBytes: 8 * 1024 * 1024,
        navigateFallback: "/index.html",
        navigateFallbackDenylist: [/^\/api\//, /^\/sync/, /^\/e\//, /^\/healthz/],
        cleanupOutdatedCaches: true,
        // Web Push: the `push` and `notificationclick` handlers (public/push-sw.js).
        importScripts: ["/push-sw.js"],
      },
    }),
  ],
})
